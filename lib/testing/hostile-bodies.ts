import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "@/lib/ingest/limits";
import { MAX_JSON_DEPTH } from "@/lib/ingest/json-batch";

/**
 * Generators of hostile webhook requests: each starts from a valid event, gets harmless noise
 * (prototype-pollution keys, NUL escapes, huge numbers, extra nesting) and exactly one defect.
 * A defect of the framing (JSON, encoding, size, shape, credentials) must be refused (4xx); a
 * defect of an event's content must be quarantined (200, stored, never a failure), with the
 * batch's other events accepted. Driven by a seeded PRNG so a failure reproduces.
 */
export interface HostileRequest {
  kind: string;
  body: Uint8Array;
  contentType?: string | null;
  withToken?: boolean;
  /** For a content defect: what the 200 answer must count. Absent: the request must be refused. */
  kept?: { accepted: number; quarantined: number };
}

type Random = () => number;
type Event = Record<string, unknown>;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Values no text field accepts (numbers are read as text, null and "" as absent). */
const WRONG_TYPES: readonly unknown[] = [true, false, [], {}, [1, 2], { nested: "x" }, [null], "deployment\u0000failure"];

function validEvent(random: Random, n: number): Event {
  return {
    event_type: "deployment.failure",
    event_id: `fuzz-${n}-${int(random, 0, 1e9)}`,
    timestamp: "2026-11-25T14:02:00Z",
    failure_reason: pick(random, ["FAILURE", "INVALID_PHONE", "REVOKED", "FAILURE_BY_TIER_CAPACITY"]),
    line: "+573001112233",
    hsm: { name: "welcome_v2" },
    user: { country_code: "57", cellphone: String(3_000_000_000 + int(random, 0, 999_999_999)) },
  };
}

/** Harmless additions under keys no alias reads: they must neither break nor fix an event. */
function addNoise(random: Random, event: Event): Event {
  const noisy = { ...event };
  const count = int(random, 0, 3);
  for (let i = 0; i < count; i++) {
    switch (int(random, 0, 4)) {
      case 0:
        noisy.x_nul = `a\u0000b\u0000${"\u0000".repeat(int(random, 0, 50))}`;
        break;
      case 1:
        noisy.x_number = pick(random, [1e308, -1e308, Number.MAX_SAFE_INTEGER * 1000, 5e-324]);
        break;
      case 2:
        noisy.x_unicode = "\ud83d\ude00 \u202e \ufeff \uffff";
        break;
      case 3:
        noisy.x_nested = JSON.parse(`${"[".repeat(10)}1${"]".repeat(10)}`);
        break;
      default:
        noisy.x_array = Array.from({ length: int(random, 0, 200) }, (_, k) => k);
    }
  }
  return noisy;
}

/** JSON text with prototype-pollution keys as real own keys (JSON.stringify would drop __proto__). */
function withPollutionKeys(random: Random, text: string): string {
  if (random() < 0.6 || !text.startsWith("{")) return text;
  const keys = ['"__proto__":{"polluted":"yes","isAdmin":true}', '"constructor":{"prototype":{"polluted":"yes"}}', '"prototype":{"polluted":"yes"}'];
  return `{${keys.filter(() => random() < 0.7).join(",")}${text.length > 2 ? "," : ""}${text.slice(1)}`.replace("{,", "{");
}

const serialize = (random: Random, event: Event) => withPollutionKeys(random, JSON.stringify(addNoise(random, event)));

const oneQuarantined = { accepted: 0, quarantined: 1 };

/** One defect each: framing defects are refused (4xx), content defects quarantined (`kept`). */
const DEFECTS: Record<string, (random: Random, n: number) => HostileRequest> = {
  truncated: (random, n) => {
    const text = serialize(random, validEvent(random, n));
    return { kind: "truncated", body: utf8(text.slice(0, int(random, 0, text.length - 1))) };
  },
  deepNesting: (random, n) => {
    const depth = int(random, MAX_JSON_DEPTH + 1, random() < 0.1 ? 100_000 : 2_000);
    const inner = serialize(random, validEvent(random, n));
    const text = random() < 0.5 ? `${"[".repeat(depth)}${inner}${"]".repeat(depth)}` : `${'{"data":'.repeat(depth)}${inner}${"}".repeat(depth)}`;
    return { kind: "deepNesting", body: utf8(text) };
  },
  wrongEventType: (random, n) => ({
    kind: "wrongEventType",
    body: utf8(serialize(random, { ...validEvent(random, n), event_type: pick(random, WRONG_TYPES) })),
    kept: oneQuarantined,
  }),
  missingReason: (random, n) => {
    const event = validEvent(random, n);
    delete event.failure_reason;
    return { kind: "missingReason", body: utf8(serialize(random, event)), kept: oneQuarantined };
  },
  wrongReasonType: (random, n) => ({
    kind: "wrongReasonType",
    body: utf8(serialize(random, { ...validEvent(random, n), failure_reason: pick(random, WRONG_TYPES) })),
    kept: oneQuarantined,
  }),
  longField: (random, n) => {
    const field = pick(random, ["event_id", "line", "failure_reason"]);
    return {
      kind: "longField",
      body: utf8(serialize(random, { ...validEvent(random, n), [field]: "9".repeat(int(random, 513, 200_000)) })),
      kept: oneQuarantined,
    };
  },
  badTimestamp: (random, n) => ({
    kind: "badTimestamp",
    body: utf8(serialize(random, { ...validEvent(random, n), timestamp: pick(random, ["soon", "2026-02-30T10:00:00Z", -5, true, {}, "1999-12-31T23:59:59Z", "9999-01-01"]) })),
    kept: oneQuarantined,
  }),
  enormousBody: (random, n) => ({
    kind: "enormousBody",
    body: utf8(JSON.stringify({ ...validEvent(random, n), padding: "x".repeat(MAX_BODY_BYTES + int(random, 1, 100_000)) })),
  }),
  oversizedBatch: (random, n) => ({
    kind: "oversizedBatch",
    body: utf8(JSON.stringify(Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, k) => validEvent(random, n * 10_000 + k)))),
  }),
  batchWithOneBad: (random, n) => {
    const events = Array.from({ length: int(random, 2, 50) }, (_, k) => validEvent(random, n * 100 + k));
    events[int(random, 0, events.length - 1)]!.event_type = pick(random, WRONG_TYPES);
    return { kind: "batchWithOneBad", body: utf8(JSON.stringify(events)), kept: { accepted: events.length - 1, quarantined: 1 } };
  },
  batchWithNonObject: (random, n) => {
    const events: unknown[] = Array.from({ length: int(random, 1, 20) }, (_, k) => validEvent(random, n * 100 + k));
    events.splice(int(random, 0, events.length), 0, pick(random, [1, "x", null, [], [{}], true]));
    return { kind: "batchWithNonObject", body: utf8(JSON.stringify(events)) };
  },
  notAnObject: (random) => ({ kind: "notAnObject", body: utf8(pick(random, ["[]", "1", "1e999", "-0", '"x"', "true", "null", "[1,2]", '[""]', "[null]", "99999999999999999999999999999"])) }),
  invalidUtf8: (random, n) => {
    const bytes = utf8(serialize(random, validEvent(random, n)));
    const bad = pick(random, [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82]]);
    const at = int(random, 0, bytes.length);
    return { kind: "invalidUtf8", body: Uint8Array.from([...bytes.slice(0, at), ...bad, ...bytes.slice(at)]) };
  },
  rawControlByte: (random, n) => {
    // A raw control character inside a string (only escaped ones are JSON).
    const text = serialize(random, validEvent(random, n)).replace('"welcome_v2"', `"welcome${String.fromCharCode(int(random, 0, 31))}v2"`);
    return { kind: "rawControlByte", body: utf8(text) };
  },
  randomBytes: (random) => ({ kind: "randomBytes", body: Uint8Array.from({ length: int(random, 0, 2000) }, () => int(random, 0, 255)) }),
  wrongContentType: (random, n) => ({ kind: "wrongContentType", body: utf8(serialize(random, validEvent(random, n))), contentType: pick(random, ["text/plain", null, "application/x-www-form-urlencoded", "multipart/form-data"]) }),
  noToken: (random, n) => ({ kind: "noToken", body: utf8(serialize(random, validEvent(random, n))), withToken: false }),
};

/** Relative frequency of each defect (large bodies are rarer so the run stays quick). */
const WEIGHTS: Record<keyof typeof DEFECTS, number> = {
  truncated: 20,
  deepNesting: 6,
  wrongEventType: 12,
  missingReason: 10,
  wrongReasonType: 10,
  longField: 6,
  badTimestamp: 6,
  enormousBody: 1,
  oversizedBatch: 1,
  batchWithOneBad: 6,
  batchWithNonObject: 4,
  notAnObject: 6,
  invalidUtf8: 12,
  rawControlByte: 6,
  randomBytes: 6,
  wrongContentType: 3,
  noToken: 3,
};

export function hostileRequest(random: Random, n: number): HostileRequest {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let roll = random() * total;
  for (const [kind, weight] of Object.entries(WEIGHTS)) {
    roll -= weight;
    if (roll < 0) return DEFECTS[kind]!(random, n);
  }
  return DEFECTS.truncated!(random, n);
}
