import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { FIELD_MAX_LENGTH, MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "@/lib/ingest/limits";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent, nextEventId, SEED_REASONS } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import {
  clearDataTables,
  dataTableCountsOn,
  failureRowsOn,
  rawEventRowsOn,
  rowCountsOn,
  TEST_WEBHOOK_SECRET,
  templateStatusRowsOn,
  type FailureRow,
} from "@/lib/testing/temp-db";
import { describeCall, expectAccepted, expectError, expectQuarantined, type WebhookAnswer, type WebhookCall } from "@/lib/testing/webhook-client";
import { createTestUser } from "@/lib/testing/auth";
import { GET as statusHistory } from "../../templates/[template]/status-history/route";
import { GET, POST } from "./route";

// Before anything reads the settings: this file's own databases (one per engine) and secret, no signing secret.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

const ENDPOINT = "http://localhost:3000/api/webhooks/treble";

function request(call: WebhookCall, init: RequestInit = {}): Request {
  const { query, headers, body } = describeCall(call, TEST_WEBHOOK_SECRET);
  return new Request(`${ENDPOINT}${query}`, { method: "POST", headers, body, ...init });
}

async function answerOf(response: Response): Promise<WebhookAnswer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

const send = async (call: WebhookCall) => answerOf(await POST(request(call)));
const sendEvent = (body: unknown) => send({ body });

describe.each(ENGINES)("/api/webhooks/treble on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens.
    await webhookSecretAtStart();
    await readFieldMapping();
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(() => clearDataTables(engine));

  /** Nothing at all was stored: every data table (raw events, failures, and all derived) is empty. */
  async function expectNothingStored() {
    expect(await rowCountsOn(engine)).toEqual({ raw: 0, failures: 0, templateStatus: 0 });
    for (const [table, rows] of Object.entries(await dataTableCountsOn(engine))) expect(rows, table).toBe(0);
  }

  /** Quarantined raw events with their problems, oldest first. */
  async function quarantined() {
    return (await rawEventRowsOn(engine))
      .filter((r) => r.problems !== null)
      .map((r) => ({ ...r, problems: JSON.parse(r.problems!) as Array<{ path: string; message: string }> }));
  }

  /** Exactly `n` events are stored, all quarantined, and nothing at all was derived from them. */
  async function expectOnlyQuarantined(n: number) {
    expect(await rowCountsOn(engine)).toEqual({ raw: n, failures: 0, templateStatus: 0 });
    expect(await quarantined()).toHaveLength(n);
    for (const [table, rows] of Object.entries(await dataTableCountsOn(engine))) if (table !== "raw_events") expect(rows, table).toBe(0);
  }

  /** The only failure row, after asserting there is exactly one. */
  async function onlyFailure() {
    const rows = await failureRowsOn(engine);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }

  describe("POST /api/webhooks/treble: deployment.failure", () => {
    it("stores a canonical event in raw_events and failures and answers only then", async () => {
      const event = failureEvent({
        event_id: "evt-canonical",
        deployment_id: "dep-9",
        batch_id: "batch-3",
        session_id: "sess-1",
        user_session_keys: [{ key: "deployment_squad", value: "DS_573001112233" }],
      });
      const before = Date.now();
      const answer = await sendEvent(event);
      const after = Date.now();
      expectAccepted(answer, 1);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      expect(answer.headers.get("cache-control")).toBe("no-store");

      const [raw] = await rawEventRowsOn(engine);
      expect(raw).toMatchObject({
        dedupe_key: "evt-canonical",
        // The failure row says what it was: a failure's raw event is the one kept without its type.
        event_type: "",
        occurred_at: Date.UTC(2026, 10, 25, 14, 2, 0),
        occurred_at_from_receipt: 0,
        payload: JSON.stringify(event),
      });
      expect(raw!.received_at).toBeGreaterThanOrEqual(before);
      expect(raw!.received_at).toBeLessThanOrEqual(after);

      expect(await onlyFailure()).toMatchObject({
        raw_event_id: raw!.id,
        occurred_at: Date.UTC(2026, 10, 25, 14, 2, 0),
        reason: "FAILURE_BY_TIER_CAPACITY",
        reason_known: 1,
        line: "+573001112233",
        template: "welcome_v2",
        country_code: "57",
        cellphone: "3051234567",
        phone_e164: "+573051234567",
        poll_id: "poll-1",
        deployment_id: "dep-9",
        batch_id: "batch-3",
        session_id: "sess-1",
        user_session_keys: '[{"key":"deployment_squad","value":"DS_573001112233"}]',
      });
    });

    it.each(SEED_REASONS)("stores the known reason %s canonically (sent in lower case)", async (code) => {
      expectAccepted(await sendEvent(failureEvent({ failure_reason: code.toLowerCase() })), 1);
      expect(await onlyFailure()).toMatchObject({ reason: code, reason_known: 1 });
    });

    it("stores all 18 reasons in one batch, mixed case and padded", async () => {
      const batch = SEED_REASONS.map((code, i) =>
        failureEvent({ failure_reason: i % 2 ? ` ${code} ` : code.charAt(0) + code.slice(1).toLowerCase() }),
      );
      expectAccepted(await sendEvent(batch), 18);
      const rows = await failureRowsOn(engine);
      expect(rows.map((r) => r.reason)).toEqual([...SEED_REASONS]);
      expect(rows.every((r) => r.reason_known === 1)).toBe(true);
    });

    it("accepts an unknown reason verbatim and flags it unrecognised", async () => {
      expectAccepted(await sendEvent(failureEvent({ failure_reason: "Failure_By_Something_New" })), 1);
      expect(await onlyFailure()).toMatchObject({ reason: "Failure_By_Something_New", reason_known: 0 });
    });

    it("stores missing line, template and contact as unknown, not rejected", async () => {
      expectAccepted(await sendEvent({ event_type: "deployment.failure", event_id: nextEventId(), failure_reason: "FAILURE" }), 1);
      expect(await onlyFailure()).toMatchObject({
        // db/schema.ts: an unknown line or template is stored as "" (NOT NULL, for the indexes).
        line: "",
        template: "",
        country_code: null,
        cellphone: null,
        phone_e164: null,
        poll_id: null,
        deployment_id: null,
        batch_id: null,
        session_id: null,
        user_session_keys: null,
      });
    });

    it("quarantines a deployment.failure without a reason: kept verbatim with its problem, not a failure", async () => {
      const event = { event_type: "deployment.failure", event_id: nextEventId(), error: { code: 131026 } };
      expectQuarantined(await sendEvent(event), 1);
      await expectOnlyQuarantined(1);
      expect((await quarantined())[0]).toMatchObject({
        event_type: "deployment.failure",
        dedupe_key: event.event_id,
        payload: JSON.stringify(event),
        problems: [{ path: "failure_reason", message: expect.stringMatching(/required/) }],
      });
    });

    it("infers deployment.failure when event_type and event_id are both absent, deduplicating by content", async () => {
      const text = '{"failure_reason":"invalid_phone","cellphone":"3051234567","country_code":"57"}';
      expectAccepted(await sendEvent(text), 1);
      const [raw] = await rawEventRowsOn(engine);
      expect(raw).toMatchObject({
        event_type: "",
        dedupe_key: `sha256:${createHash("sha256").update(text).digest("hex")}`,
        payload: text,
      });
      expect(await onlyFailure()).toMatchObject({ reason: "INVALID_PHONE", phone_e164: "+573051234567" });
    });

    it("quarantines an event with neither event_type nor a reason", async () => {
      expectQuarantined(await sendEvent({ event_id: nextEventId(), line: "+573001112233" }), 1);
      await expectOnlyQuarantined(1);
      expect((await quarantined())[0]).toMatchObject({ event_type: "", problems: [{ path: "event_type", message: "is required" }] });
    });
  });

  describe("POST /api/webhooks/treble: aliases", () => {
    type Columns = Partial<Record<keyof FailureRow, unknown>>;
    const base = { event_type: "deployment.failure" };
    const cases: Array<[string, Record<string, unknown>, Columns]> = [
      // reason
      ["reason: failure_reason", { failure_reason: "revoked" }, { reason: "REVOKED", reason_known: 1 }],
      ["reason: reason", { reason: "revoked" }, { reason: "REVOKED", reason_known: 1 }],
      ["reason: failure_type", { failure_type: "revoked" }, { reason: "REVOKED", reason_known: 1 }],
      ["reason: error_code", { error_code: "revoked" }, { reason: "REVOKED", reason_known: 1 }],
      // line
      ["line: string", { reason: "FAILURE", line: "+57 300 111 2233" }, { line: "+573001112233" }],
      ["line: object with cellphone", { reason: "FAILURE", line: { cellphone: "573001112233" } }, { line: "+573001112233" }],
      ["line: company.cellphone", { reason: "FAILURE", company: { cellphone: "573001112233" } }, { line: "+573001112233" }],
      ["line: sender", { reason: "FAILURE", sender: "573001112233" }, { line: "+573001112233" }],
      [
        "line: user_session_keys array, deployment_squad",
        { reason: "FAILURE", user_session_keys: [{ key: "deployment_squad", value: "DS_573001112233" }] },
        { line: "+573001112233" },
      ],
      [
        "line: user_session_keys array, tdeployment_squad",
        { reason: "FAILURE", user_session_keys: [{ key: "x", value: "y" }, { key: "tdeployment_squad", value: "DS_573001112233" }] },
        { line: "+573001112233" },
      ],
      [
        "line: user_session_keys object, deployment_squad",
        { reason: "FAILURE", user_session_keys: { deployment_squad: "DS_573001112233" } },
        { line: "+573001112233" },
      ],
      [
        "line: user_session_keys object, tdeployment_squad",
        { reason: "FAILURE", user_session_keys: { tdeployment_squad: "DS_573001112233" } },
        { line: "+573001112233" },
      ],
      // template
      ["template: hsm.name", { reason: "FAILURE", hsm: { name: "promo_nov" } }, { template: "promo_nov" }],
      ["template: hsm_name", { reason: "FAILURE", hsm_name: "promo_nov" }, { template: "promo_nov" }],
      ["template: template", { reason: "FAILURE", template: "promo_nov" }, { template: "promo_nov" }],
      ["template: template_name", { reason: "FAILURE", template_name: "promo_nov" }, { template: "promo_nov" }],
      // contact
      [
        "contact: user.country_code + user.cellphone",
        { reason: "FAILURE", user: { country_code: "57", cellphone: "3051234567" } },
        { country_code: "57", cellphone: "3051234567", phone_e164: "+573051234567" },
      ],
      [
        "contact: country_code + cellphone",
        { reason: "FAILURE", country_code: "+57", cellphone: "305 123 4567" },
        { country_code: "57", cellphone: "305 123 4567", phone_e164: "+573051234567" },
      ],
      // campaign
      ["campaign: poll_id", { reason: "FAILURE", poll_id: "p1" }, { poll_id: "p1" }],
      ["campaign: conversation_id", { reason: "FAILURE", conversation_id: "p1" }, { poll_id: "p1" }],
      ["campaign: poll.id", { reason: "FAILURE", poll: { id: 42 } }, { poll_id: "42" }],
      ["campaign: deployment_id", { reason: "FAILURE", deployment_id: "d1" }, { deployment_id: "d1" }],
      ["campaign: deployment.id", { reason: "FAILURE", deployment: { id: "d1" } }, { deployment_id: "d1" }],
      ["campaign: batch_id", { reason: "FAILURE", batch_id: "b1" }, { batch_id: "b1" }],
      ["campaign: deployment.batch_id", { reason: "FAILURE", deployment: { batch_id: "b1" } }, { batch_id: "b1" }],
      ["campaign: session_id", { reason: "FAILURE", session_id: "s1" }, { session_id: "s1" }],
      ["campaign: session.external_id", { reason: "FAILURE", session: { external_id: "s1" } }, { session_id: "s1" }],
      // everything nested under `data`
      [
        "fields under data",
        {
          data: {
            error_code: "failure_by_disabled_hsm",
            sender: "573001112233",
            hsm_name: "promo_nov",
            user: { country_code: "57", cellphone: "3051234567" },
            poll: { id: "p1" },
            deployment: { id: "d1", batch_id: "b1" },
            session: { external_id: "s1" },
          },
        },
        {
          reason: "FAILURE_BY_DISABLED_HSM",
          reason_known: 1,
          line: "+573001112233",
          template: "promo_nov",
          phone_e164: "+573051234567",
          poll_id: "p1",
          deployment_id: "d1",
          batch_id: "b1",
          session_id: "s1",
        },
      ],
    ];

    it.each(cases)("%s", async (_name, fields, columns) => {
      expectAccepted(await sendEvent({ ...base, event_id: nextEventId(), ...fields }), 1);
      expect(await onlyFailure()).toMatchObject(columns);
    });

    it("keeps user_session_keys as given, array or object", async () => {
      const asArray = [{ key: "tdeployment_squad", value: "DS_573001112233" }, { key: "plan", value: "gold" }];
      const asObject = { deployment_squad: "DS_573001112233", nested: { list: [1, "two", null] } };
      expectAccepted(await sendEvent([failureEvent({ user_session_keys: asArray }), failureEvent({ user_session_keys: asObject })]), 2);
      const [first, second] = await failureRowsOn(engine);
      expect(first!.user_session_keys).toBe(JSON.stringify(asArray));
      expect(second!.user_session_keys).toBe(JSON.stringify(asObject));
    });
  });

  describe("POST /api/webhooks/treble: timestamps", () => {
    const when = Date.UTC(2026, 10, 25, 14, 2, 0);
    const cases: Array<[string, unknown]> = [
      ["ISO 8601 with Z", "2026-11-25T14:02:00Z"],
      ["ISO 8601 with an offset", "2026-11-25T09:02:00-05:00"],
      ["ISO 8601 without a zone (UTC)", "2026-11-25T14:02:00"],
      ["unix seconds", when / 1000],
      ["unix milliseconds", when],
      ["unix seconds as a numeric string", String(when / 1000)],
      ["unix milliseconds as a numeric string", String(when)],
    ];

    it.each(cases)("reads %s", async (_name, timestamp) => {
      expectAccepted(await sendEvent(failureEvent({ timestamp })), 1);
      expect((await rawEventRowsOn(engine))[0]).toMatchObject({ occurred_at: when, occurred_at_from_receipt: 0 });
      expect((await onlyFailure()).occurred_at).toBe(when);
    });

    it("keeps the event time apart from the receipt time", async () => {
      expectAccepted(await sendEvent(failureEvent({ timestamp: "2026-01-02T03:04:05Z" })), 1);
      const [raw] = await rawEventRowsOn(engine);
      expect(raw!.occurred_at).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
      expect(raw!.received_at).not.toBe(raw!.occurred_at);
    });

    it("uses the receipt time when the timestamp is missing, and says so", async () => {
      const event = failureEvent();
      delete event.timestamp;
      expectAccepted(await sendEvent(event), 1);
      const [raw] = await rawEventRowsOn(engine);
      expect(raw!.occurred_at_from_receipt).toBe(1);
      expect(raw!.occurred_at).toBe(raw!.received_at);
      expect((await onlyFailure()).occurred_at).toBe(raw!.received_at);
    });

    it.each([["tomorrow"], ["2026-02-30T10:00:00Z"], [-1], [true], ["1999-01-01T00:00:00Z"]])(
      "quarantines the unparseable timestamp %j at its receipt time",
      async (timestamp) => {
        expectQuarantined(await sendEvent(failureEvent({ timestamp })), 1);
        await expectOnlyQuarantined(1);
        const [row] = await quarantined();
        expect(row!.problems.map((p) => p.path)).toEqual(["timestamp"]);
        expect(row!.occurred_at).toBe(row!.received_at);
      },
    );

    it("accepts Treble's older zone-less format as UTC", async () => {
      expectAccepted(await sendEvent(failureEvent({ timestamp: "2022-01-27 21:28:34" })), 1);
      expect((await onlyFailure()).occurred_at).toBe(Date.UTC(2022, 0, 27, 21, 28, 34));
    });
  });

  describe("POST /api/webhooks/treble: raw payload", () => {
    it("keeps a single event's text byte for byte, odd whitespace, escapes and non-ASCII included", async () => {
      const text =
        '{ "event_type":"deployment.failure" ,\r\n\t"event_id" : "evt-raw-1",\n  "failure_reason":"FAILURE",' +
        '"note":"caf\\u00e9 café 😀 \\"quoted\\" \\\\ \\/",   "n": 1.50, "e": 1E3, "x": [ ] }';
      expectAccepted(await sendEvent(new TextEncoder().encode(text)), 1);
      expect((await rawEventRowsOn(engine))[0]!.payload).toBe(text);
    });

    it("keeps each batch element's text byte for byte", async () => {
      const elements = [
        '{"event_type":"deployment.failure","event_id":"b-1","reason":"FAILURE",  "s":"a, ] } b"}',
        '{\n\t"event_type" : "hsm.status",\n\t"event_id" : "b-2",\n\t"hsm" : {"name":"t1","status":"approved"}\n}',
        '{ "event_type": "conversation.closed", "event_id": "b-3", "nested": [ { "k": [1,2,3] } ] }',
      ];
      const body = `[\r\n  ${elements[0]}  ,\n${elements[1]},\t${elements[2]}\n]\n`;
      expectAccepted(await sendEvent(body), 3);
      expect((await rawEventRowsOn(engine)).map((r) => r.payload)).toEqual(elements);
    });
  });

  describe("POST /api/webhooks/treble: duplicates", () => {
    it("stores a repeated event_id once and still answers 200", async () => {
      const event = failureEvent({ event_id: "evt-dup" });
      expectAccepted(await sendEvent(event), 1);
      expectAccepted(await sendEvent(event), 0, 1);
      // A redelivery that differs in content is still the same event.
      expectAccepted(await sendEvent({ ...event, failure_reason: "REVOKED" }), 0, 1);
      expect(await rowCountsOn(engine)).toEqual({ raw: 1, failures: 1, templateStatus: 0 });
      expect((await onlyFailure()).reason).toBe("FAILURE_BY_TIER_CAPACITY");
    });

    it("without event_id, deduplicates on the SHA-256 of the raw event text", async () => {
      const text = '{"event_type":"deployment.failure","failure_reason":"FAILURE","cellphone":"1"}';
      expectAccepted(await sendEvent(text), 1);
      expectAccepted(await sendEvent(text), 0, 1);
      // The same text as an element of a batch is the same event.
      expectAccepted(await sendEvent(`[${text}]`), 0, 1);
      // Different text (even only whitespace) is a different raw event.
      expectAccepted(await sendEvent(text.replace(",", ", ")), 1);
      const rows = await rawEventRowsOn(engine);
      expect(rows).toHaveLength(2);
      expect(rows[0]!.dedupe_key).toBe(`sha256:${createHash("sha256").update(text).digest("hex")}`);
      expect(rows[1]!.dedupe_key).toBe(`sha256:${createHash("sha256").update(text.replace(",", ", ")).digest("hex")}`);
      expect(await failureRowsOn(engine)).toHaveLength(2);
    });

    it("counts duplicates inside one batch and against earlier deliveries", async () => {
      const a = failureEvent({ event_id: "evt-a" });
      const b = failureEvent({ event_id: "evt-b" });
      expectAccepted(await sendEvent(a), 1);
      expectAccepted(await sendEvent([a, b, b]), 1, 2);
      expect(await rowCountsOn(engine)).toEqual({ raw: 2, failures: 2, templateStatus: 0 });
    });
  });

  describe("POST /api/webhooks/treble: batches", () => {
    it(`accepts a batch of ${MAX_BATCH_EVENTS} events, all stored`, async () => {
      const batch = Array.from({ length: MAX_BATCH_EVENTS }, (_, i) =>
        failureEvent({ failure_reason: SEED_REASONS[i % SEED_REASONS.length], poll_id: `poll-${i}` }),
      );
      expectAccepted(await sendEvent(batch), MAX_BATCH_EVENTS);
      expect(await rowCountsOn(engine)).toEqual({ raw: MAX_BATCH_EVENTS, failures: MAX_BATCH_EVENTS, templateStatus: 0 });
      expect((await failureRowsOn(engine)).map((r) => r.poll_id)).toEqual(batch.map((e) => e.poll_id));
    });

    it("accepts a mixed batch of failures, template statuses and other events", async () => {
      const batch = [
        failureEvent(),
        { event_type: "hsm.status", event_id: nextEventId(), hsm: { name: "t", status: "disabled" } },
        { event_type: "conversation.closed", event_id: nextEventId() },
      ];
      expectAccepted(await sendEvent(batch), 3);
      expect(await rowCountsOn(engine)).toEqual({ raw: 3, failures: 1, templateStatus: 1 });
    });

    it("accepts a batch's good events and quarantines its bad ones together, each with its own problems", async () => {
      const batch = [
        failureEvent(),
        failureEvent({ failure_reason: undefined }),
        failureEvent({ timestamp: "not a time" }),
        failureEvent(),
        failureEvent({ hsm: { name: "x".repeat(FIELD_MAX_LENGTH.template + 1) } }),
      ];
      expectQuarantined(await sendEvent(batch), 3, 2);
      expect(await rowCountsOn(engine)).toEqual({ raw: 5, failures: 2, templateStatus: 0 });
      expect((await quarantined()).map((r) => [r.payload, r.problems.map((p) => p.path)])).toEqual([
        [JSON.stringify(batch[1]), ["failure_reason"]],
        [JSON.stringify(batch[2]), ["timestamp"]],
        [JSON.stringify(batch[4]), ["hsm.name"]],
      ]);
      // Only the good events became failures (and incidents).
      const keyOfRaw = new Map((await rawEventRowsOn(engine)).map((r) => [r.id, r.dedupe_key]));
      expect((await failureRowsOn(engine)).map((r) => keyOfRaw.get(r.raw_event_id))).toEqual([batch[0]!.event_id, batch[3]!.event_id]);
      expect((await engine.one<{ n: number }>("SELECT sum(failures) AS n FROM incidents"))!.n).toBe(2);
    });

    it("is one transaction: a batch whose write fails stores neither its good nor its quarantined events", async () => {
      await databases.whileReadOnly(name, async () => {
        expectError(await sendEvent([failureEvent(), failureEvent({ failure_reason: undefined })]), 503, "service_unavailable");
      });
      await expectNothingStored();
    });

    it("refuses a batch holding anything but objects (framing), naming each, and stores nothing", async () => {
      const stored = failureEvent();
      expectAccepted(await sendEvent(stored), 1);
      const error = expectError(await sendEvent([failureEvent(), stored, "not an object", failureEvent({ failure_reason: undefined }), 7]), 400, "invalid_payload");
      expect(error.details?.map((d) => d.path)).toEqual(["[2]", "[4]"]);
      expect(await rowCountsOn(engine)).toEqual({ raw: 1, failures: 1, templateStatus: 0 });
    });

    it(`rejects a batch of ${MAX_BATCH_EVENTS + 1} events`, async () => {
      const batch = Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => failureEvent());
      const error = expectError(await sendEvent(batch), 400, "invalid_payload");
      expect(error.message).toMatch(/at most 1000/);
      await expectNothingStored();
    });

    it("rejects an empty batch", async () => {
      expectError(await sendEvent([]), 400, "invalid_payload");
      await expectNothingStored();
    });
  });

  describe("POST /api/webhooks/treble: other event types", () => {
    it("records hsm.status as a template status change", async () => {
      const event = { event_type: "hsm.status", event_id: nextEventId(), timestamp: 1_764_079_320, hsm: { name: "promo_nov", status: "disabled" } };
      expectAccepted(await sendEvent(event), 1);
      const [raw] = await rawEventRowsOn(engine);
      // Only a failure's raw event goes without its type (retention finds the others by it).
      expect(raw).toMatchObject({ event_type: "hsm.status", payload: JSON.stringify(event) });
      expect(await templateStatusRowsOn(engine)).toMatchObject([
        {
          raw_event_id: raw!.id,
          template: "promo_nov",
          status: "DISABLED",
          occurred_at: 1_764_079_320_000,
          received_at: raw!.received_at,
        },
      ]);
      expect(await failureRowsOn(engine)).toHaveLength(0);
    });

    it("quarantines an hsm.status without template or status", async () => {
      expectQuarantined(await sendEvent({ event_type: "hsm.status", event_id: nextEventId(), hsm: { name: "t" } }), 1);
      await expectOnlyQuarantined(1);
      expect((await quarantined())[0]!.problems.map((d) => d.path)).toEqual(["status"]);
    });

    it("keeps any other event_type raw only and answers 200", async () => {
      const event = { event_type: "conversation.closed", event_id: nextEventId(), conversation: { id: 5 } };
      expectAccepted(await sendEvent(event), 1);
      expect(await rawEventRowsOn(engine)).toMatchObject([{ event_type: "conversation.closed", payload: JSON.stringify(event) }]);
      expect(await rowCountsOn(engine)).toEqual({ raw: 1, failures: 0, templateStatus: 0 });
    });
  });

  describe("POST /api/webhooks/treble: Treble's own payloads", () => {
    it("records Treble's published hsm.status example verbatim, listed by the status-history API", async () => {
      const example =
        '{"event_type":"hsm.status","event_id":"5f8d7e6a5f8d7e6a5f8d7e6a","timestamp":"2024-09-10T12:34:56.789Z","status":"APPROVED","name":"welcome_message","affected_conversation_ids":[12345,67890,54321]}';
      expectAccepted(await sendEvent(example), 1);
      const [raw] = await rawEventRowsOn(engine);
      expect(raw).toMatchObject({ dedupe_key: "5f8d7e6a5f8d7e6a5f8d7e6a", event_type: "hsm.status", payload: example, problems: null });
      expect(await templateStatusRowsOn(engine)).toMatchObject([
        {
          raw_event_id: raw!.id,
          template: "welcome_message",
          status: "APPROVED",
          occurred_at: Date.UTC(2024, 8, 10, 12, 34, 56, 789),
          affected_conversation_ids: "[12345,67890,54321]",
        },
      ]);
      const admin = await createTestUser("viewer");
      const history = await statusHistory(
        new Request("http://localhost:3000/api/templates/welcome_message/status-history", { headers: admin.headers }),
        { params: Promise.resolve({ template: "welcome_message" }) },
      );
      expect(history.status).toBe(200);
      expect(await history.json()).toEqual({
        items: [
          {
            template: "welcome_message",
            status: "APPROVED",
            at: "2024-09-10T12:34:56.789Z",
            receivedAt: new Date(raw!.received_at).toISOString(),
            affectedConversationIds: [12345, 67890, 54321],
          },
        ],
      });
    });

    it("parses session.close into a closed session beside the raw event", async () => {
      const event = {
        event_type: "session.close",
        event_id: nextEventId(),
        timestamp: "2026-11-25 14:05:00",
        session: { external_id: "conv-77", closed_at: "2026-11-25 14:04:30" },
        user: { country_code: "57", cellphone: "3051234567" },
        company: { id: 12, cellphone: "573001112233" },
        hsm: { name: "welcome_v2", language: "es" },
        user_session_keys: [{ key: "plan", value: "gold" }],
        messages: [{ type: "text" }, { type: "text" }, { type: "image" }],
      };
      expectAccepted(await sendEvent(event), 1);
      const [raw] = await rawEventRowsOn(engine);
      expect(raw).toMatchObject({ event_type: "session.close", payload: JSON.stringify(event), problems: null });
      expect(await engine.query("SELECT * FROM closed_sessions")).toEqual([
        {
          id: expect.any(Number),
          raw_event_id: raw!.id,
          external_id: "conv-77",
          closed_at: Date.UTC(2026, 10, 25, 14, 4, 30),
          received_at: raw!.received_at,
          line: "+573001112233",
          template: "welcome_v2",
          country_code: "57",
          cellphone: "3051234567",
          phone_e164: "+573051234567",
          message_count: 3,
        },
      ]);
      expect(await failureRowsOn(engine)).toHaveLength(0);
    });

    it("treats a repeat of a quarantined event (same event_id, or same text) as a duplicate", async () => {
      const withId = { event_type: "deployment.failure", event_id: nextEventId(), code: 1 };
      expectQuarantined(await sendEvent(withId), 1);
      expectQuarantined(await sendEvent(withId), 0, 0, 1);
      // Now normalisable, but the same event_id: still the event already kept.
      expectAccepted(await sendEvent({ ...withId, failure_reason: "FAILURE" }), 0, 1);
      const text = '{"event_type":"deployment.failure","code":2}';
      expectQuarantined(await sendEvent(text), 1);
      expectQuarantined(await sendEvent(`[${text}]`), 0, 0, 1);
      expectQuarantined(await sendEvent(`[${text}, ${text.replace("2", "3")}]`), 1, 0, 1);
      await expectOnlyQuarantined(3);
    });
  });

  describe("POST /api/webhooks/treble: clock skew", () => {
    it("stores an event time over 10 minutes after receipt as the receipt time, keeping the sent value", async () => {
      const future = Date.now() + 3 * 3_600_000;
      expectAccepted(await sendEvent(failureEvent({ timestamp: new Date(future).toISOString() })), 1);
      const [raw] = await rawEventRowsOn(engine);
      expect(raw).toMatchObject({ occurred_at: raw!.received_at, occurred_at_from_receipt: 0, sent_occurred_at: future });
      expect((await onlyFailure()).occurred_at).toBe(raw!.received_at);
      // Nothing lands in the future: every rollup bucket is at or before the receipt hour.
      const buckets = (await engine.one<{ b: number }>("SELECT max(bucket) AS b FROM rollup_hour_reason"))!.b;
      expect(buckets).toBeLessThanOrEqual(raw!.received_at);
    });

    it("keeps an event time up to 10 minutes ahead (ordinary clock drift)", async () => {
      const soon = Date.now() + 5 * 60_000;
      expectAccepted(await sendEvent(failureEvent({ timestamp: soon })), 1);
      expect((await rawEventRowsOn(engine))[0]).toMatchObject({ occurred_at: soon, sent_occurred_at: null });
    });
  });

  describe("POST /api/webhooks/treble: authentication", () => {
    it.each([["query"], ["bearer"], ["header"]] as const)("accepts the token via %s", async (via) => {
      expectAccepted(await send({ body: failureEvent(), via }), 1);
    });

    it("accepts a lower-case bearer scheme", async () => {
      expectAccepted(await send({ body: failureEvent(), via: "none", headers: { authorization: `bearer ${TEST_WEBHOOK_SECRET}` } }), 1);
    });

    it("rejects a missing token with 401 before looking at the body", async () => {
      expectError(await send({ body: failureEvent(), via: "none" }), 401, "unauthorized");
      expectError(await send({ body: "{not json", via: "none", contentType: "text/plain" }), 401, "unauthorized");
      expectError(await send({ body: failureEvent(), via: "none", headers: { authorization: "Basic abc" } }), 401);
      await expectNothingStored();
    });

    it.each([["query"], ["bearer"], ["header"]] as const)("rejects a wrong token via %s with 401", async (via) => {
      expectError(await send({ body: failureEvent(), via, token: `${TEST_WEBHOOK_SECRET}x` }), 401, "unauthorized");
      expectError(await send({ body: failureEvent(), via, token: TEST_WEBHOOK_SECRET.slice(0, -1) }), 401, "unauthorized");
      await expectNothingStored();
    });

    it("does not fall back to a header when the query token is wrong", async () => {
      const answer = await send({ body: failureEvent(), token: "wrong-token-wrong-token", headers: { "x-webhook-token": TEST_WEBHOOK_SECRET } });
      expectError(answer, 401);
      await expectNothingStored();
    });
  });

  describe("POST /api/webhooks/treble: body checks", () => {
    it.each([["text/plain"], ["application/x-www-form-urlencoded"], ["application/jsonp"], ["multipart/form-data; boundary=x"]])(
      "rejects Content-Type %s with 415",
      async (contentType) => {
        expectError(await send({ body: failureEvent(), contentType }), 415, "unsupported_media_type");
        await expectNothingStored();
      },
    );

    it("rejects a missing Content-Type with 415", async () => {
      const req = request({ body: new TextEncoder().encode(JSON.stringify(failureEvent())), contentType: null });
      expect(req.headers.get("content-type")).toBeNull();
      expectError(await answerOf(await POST(req)), 415, "unsupported_media_type");
      await expectNothingStored();
    });

    it.each([["application/json; charset=utf-8"], ["Application/JSON"], ["application/vnd.treble+json"]])(
      "accepts Content-Type %s",
      async (contentType) => {
        expectAccepted(await send({ body: failureEvent(), contentType }), 1);
      },
    );

    it("rejects a declared Content-Length over 1 MiB with 413", async () => {
      const answer = await send({ body: failureEvent(), headers: { "content-length": String(MAX_BODY_BYTES + 1) } });
      expectError(answer, 413, "payload_too_large");
      await expectNothingStored();
    });

    it("rejects a streamed body over 1 MiB with 413 without reading all of it", async () => {
      let pulled = 0;
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += chunk.length;
          if (pulled > 4 * MAX_BODY_BYTES) controller.close();
          else controller.enqueue(chunk);
        },
      });
      const req = request({ body: "" }, { body: stream, duplex: "half" } as RequestInit);
      expect(req.headers.get("content-length")).toBeNull();
      expectError(await answerOf(await POST(req)), 413, "payload_too_large");
      expect(pulled).toBeLessThan(2 * MAX_BODY_BYTES);
      await expectNothingStored();
    });

    it("accepts a body of exactly 1 MiB", async () => {
      const event = failureEvent({ padding: "" });
      const size = Buffer.byteLength(JSON.stringify(event));
      const body = JSON.stringify({ ...event, padding: " ".repeat(MAX_BODY_BYTES - size) });
      expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
      expectAccepted(await sendEvent(body), 1);
      expect((await rawEventRowsOn(engine))[0]!.payload).toBe(body);
    });

    it.each([["{"], ['{"event_type":"deployment.failure",}'], [""], ["{'a':1}"], ['[{"a":1}'], ["undefined"]])(
      "rejects malformed JSON %j with 400",
      async (body) => {
        expectError(await sendEvent(body), 400, "invalid_json");
        await expectNothingStored();
      },
    );

    it("rejects a body that is not an object or array", async () => {
      expectError(await sendEvent("42"), 400, "invalid_payload");
      expectError(await sendEvent("null"), 400, "invalid_payload");
      await expectNothingStored();
    });

    it("rejects invalid UTF-8 bytes with 400", async () => {
      const valid = new TextEncoder().encode(JSON.stringify(failureEvent({ note: "XY" })));
      const at = Buffer.from(valid).indexOf("XY");
      const invalid = Uint8Array.from(valid);
      invalid[at] = 0xc3; // a lead byte followed by an ASCII byte
      invalid[at + 1] = 0x28;
      expectError(await sendEvent(invalid), 400, "invalid_encoding");
      await expectNothingStored();
    });

    it("rejects nesting deeper than 32 levels with 400", async () => {
      // The event object is level 1; 31 nested objects make 32 (accepted), 32 make 33 (rejected).
      const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
      const withExtra = (levels: number) => JSON.stringify(failureEvent({ extra: "@" })).replace('"@"', deep(levels));
      expectAccepted(await sendEvent(withExtra(31)), 1);
      await clearDataTables(engine);
      expectError(await sendEvent(withExtra(32)), 400, "invalid_json");
      await expectNothingStored();
    });

    const long = (n: number) => "x".repeat(n);
    it.each([
      ["event_id", { event_id: long(FIELD_MAX_LENGTH.event_id + 1) }, "event_id"],
      ["event_type", { event_type: long(FIELD_MAX_LENGTH.event_type + 1) }, "event_type"],
      ["failure_reason", { failure_reason: long(FIELD_MAX_LENGTH.reason + 1) }, "failure_reason"],
      ["line", { line: long(FIELD_MAX_LENGTH.line + 1) }, "line"],
      ["hsm.name", { hsm: { name: long(FIELD_MAX_LENGTH.template + 1) } }, "hsm.name"],
      ["user.cellphone", { user: { country_code: "57", cellphone: "3".repeat(FIELD_MAX_LENGTH.cellphone + 1) } }, "user.cellphone"],
      ["user.country_code", { user: { country_code: "5".repeat(FIELD_MAX_LENGTH.country_code + 1), cellphone: "3" } }, "user.country_code"],
      ["poll_id", { poll_id: long(FIELD_MAX_LENGTH.campaign_id + 1) }, "poll_id"],
      ["user_session_keys", { user_session_keys: { k: long(FIELD_MAX_LENGTH.user_session_keys) } }, "user_session_keys"],
    ])("quarantines an over-long %s (answered 200)", async (_name, fields, path) => {
      expectQuarantined(await sendEvent(failureEvent(fields)), 1);
      await expectOnlyQuarantined(1);
      expect((await quarantined())[0]!.problems.map((d) => d.path)).toContain(path);
    });
  });

  describe("/api/webhooks/treble: methods and concurrency", () => {
    it("answers GET with 405 and stores nothing", async () => {
      const answer = await answerOf(await GET(new Request(`${ENDPOINT}?token=${TEST_WEBHOOK_SECRET}`)));
      expectError(answer, 405, "method_not_allowed");
      await expectNothingStored();
    });

    it("commits concurrent deliveries together: valid ones become failures, bad ones are quarantined", async () => {
      const calls = Array.from({ length: 60 }, (_, i) => (i % 10 === 9 ? failureEvent({ failure_reason: null }) : failureEvent()));
      const answers = await Promise.all(calls.map((body) => sendEvent(body)));
      answers.forEach((answer, i) => {
        if (i % 10 === 9) expectQuarantined(answer, 1);
        else expectAccepted(answer, 1);
      });
      expect(await rowCountsOn(engine)).toEqual({ raw: 60, failures: 54, templateStatus: 0 });
      expect(await quarantined()).toHaveLength(6);
    });
  });
});
