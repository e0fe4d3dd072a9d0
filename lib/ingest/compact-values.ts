import { decodePayload, deflateV1, PAYLOAD_CODEC_DEFLATE_V1 } from "./payload-codec";

/**
 * Stored forms of two per-failure values that dominate a row after the payload (issue 11, storage
 * per failure). Each stored value starts with a tag byte saying how the rest reads, so every form
 * is unambiguous and decodes to exactly the text it came from, on SQLite (a BLOB in the TEXT
 * column, as raw_events.payload) and on PostgreSQL (bytea). Migration compact_keys rewrites older
 * rows through the SQL functions of db/storage-functions.ts.
 */

const TAG_TEXT = 0;
const TAG_UUID = 1;
const TAG_SHA256 = 2;
const TAG_DEFLATE_V1 = 3;
const TAG_PAIRS_V1 = 4;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_KEY = /^sha256:[0-9a-f]{64}$/;
const SHA256_PREFIX = "sha256:";

const tagged = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), body]);

/**
 * raw_events.dedupe_key: a lower-case UUID event_id in 17 bytes, a `sha256:` key in 33, any other
 * event_id as its UTF-8 text (36 and 71 characters before).
 */
export function encodeDedupeKey(key: string): Buffer {
  if (UUID.test(key)) return tagged(TAG_UUID, Buffer.from(key.replaceAll("-", ""), "hex"));
  if (SHA256_KEY.test(key)) return tagged(TAG_SHA256, Buffer.from(key.slice(SHA256_PREFIX.length), "hex"));
  return tagged(TAG_TEXT, Buffer.from(key, "utf8"));
}

export function decodeDedupeKey(stored: Buffer): string {
  const body = stored.subarray(1);
  switch (stored[0]) {
    case TAG_TEXT:
      return body.toString("utf8");
    case TAG_UUID: {
      const hex = body.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case TAG_SHA256:
      return SHA256_PREFIX + body.toString("hex");
    default:
      throw new Error(`Unknown dedupe key form ${stored[0]}`);
  }
}

/**
 * failures.user_session_keys. Keys in one of the two shapes Treble sends — an array of
 * `{"key","value"}` string pairs, or an object of string values — as written by JSON.stringify
 * (which is how ingest writes them) are stored as their strings, length-prefixed, a known key
 * name as one byte (TAG_PAIRS_V1: ~1 µs, where a deflate costs ~13 µs of the ingest worker's time
 * per event; about the deflated size for real keys, whose values a dictionary cannot know). Any
 * other JSON is deflated with the payload dictionary (TAG_DEFLATE_V1).
 */
export function encodeSessionKeys(json: string): Buffer {
  return encodePairs(json) ?? tagged(TAG_DEFLATE_V1, deflateV1(json));
}

export function decodeSessionKeys(stored: Buffer): string;
export function decodeSessionKeys(stored: Buffer | null): string | null;
export function decodeSessionKeys(stored: Buffer | null): string | null {
  if (stored === null) return null;
  const body = stored.subarray(1);
  switch (stored[0]) {
    case TAG_TEXT:
      return body.toString("utf8");
    case TAG_DEFLATE_V1:
      return decodePayload(body, PAYLOAD_CODEC_DEFLATE_V1);
    case TAG_PAIRS_V1:
      return decodePairs(body);
    default:
      throw new Error(`Unknown session keys form ${stored[0]}`);
  }
}

/**
 * Key names stored as one byte (their index + 1; 0 spells the name out) by TAG_PAIRS_V1: the
 * squad keys Treble's deployments carry, and the usual customer keys. Never edit: rows written
 * with it need these names at these places. More names are a new tag.
 */
const KEY_NAMES_V1 = ["deployment_squad", "tdeployment_squad", "customer_id", "segment"] as const;
const LONE_SURROGATE = /\p{Surrogate}/u;
const ARRAY_OF_PAIRS = 0;
const OBJECT_OF_VALUES = 1;

/** The TAG_PAIRS_V1 form of `json`, or null when it is not one of its shapes exactly as JSON.stringify writes it. */
function encodePairs(json: string): Buffer | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  let shape: number;
  let entries: Array<[string, unknown]>;
  if (Array.isArray(parsed)) {
    if (!parsed.every((p) => typeof p === "object" && p !== null && !Array.isArray(p) && Object.keys(p).join(",") === "key,value")) return null;
    shape = ARRAY_OF_PAIRS;
    entries = (parsed as Array<{ key: unknown; value: unknown }>).map((p) => [p.key as string, p.value]);
    if (!entries.every(([k]) => typeof k === "string")) return null;
  } else if (typeof parsed === "object" && parsed !== null) {
    shape = OBJECT_OF_VALUES;
    entries = Object.entries(parsed);
  } else return null;
  // Spaces, escapes written another way, a repeated name: the text would not read back as sent;
  // nor would a lone surrogate (JSON escapes it, UTF-8 cannot hold it).
  if (!entries.every(([k, v]) => typeof v === "string" && !LONE_SURROGATE.test(k) && !LONE_SURROGATE.test(v))) return null;
  if (JSON.stringify(parsed) !== json) return null;
  const out = new ByteWriter(json.length + 8);
  out.byte(TAG_PAIRS_V1);
  out.byte(shape);
  out.varint(entries.length);
  for (const [name, value] of entries) {
    const known = (KEY_NAMES_V1 as readonly string[]).indexOf(name);
    out.varint(known + 1);
    if (known < 0) out.text(name);
    out.text(value as string);
  }
  return out.bytes();
}

/** The JSON text a TAG_PAIRS_V1 body stores, as JSON.stringify wrote it. */
function decodePairs(body: Buffer): string {
  const input = new ByteReader(body);
  const shape = input.byte();
  const parts: string[] = [];
  for (let n = input.varint(); n > 0; n--) {
    const known = input.varint();
    const name = known === 0 ? input.text() : KEY_NAMES_V1[known - 1];
    if (name === undefined) throw new Error(`Unknown session key name ${known}`);
    const value = input.text();
    parts.push(shape === ARRAY_OF_PAIRS ? `{"key":${JSON.stringify(name)},"value":${JSON.stringify(value)}}` : `${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  if (shape === ARRAY_OF_PAIRS) return `[${parts.join(",")}]`;
  if (shape === OBJECT_OF_VALUES) return `{${parts.join(",")}}`;
  throw new Error(`Unknown session keys shape ${shape}`);
}

/** Bytes appended: single bytes, LEB128 lengths and length-prefixed UTF-8. */
class ByteWriter {
  private buffer: Buffer;
  private length = 0;
  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }
  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }
  byte(b: number): void {
    this.room(1);
    this.buffer[this.length++] = b;
  }
  varint(n: number): void {
    for (; n >= 0x80; n = Math.floor(n / 0x80)) this.byte((n % 0x80) | 0x80);
    this.byte(n);
  }
  text(s: string): void {
    const size = Buffer.byteLength(s, "utf8");
    this.varint(size);
    this.room(size);
    this.length += this.buffer.write(s, this.length, "utf8");
  }
  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

/** The reading side of ByteWriter; a body that ends early is refused. */
class ByteReader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}
  byte(): number {
    const b = this.buffer[this.at++];
    if (b === undefined) throw new Error("Session keys end early");
    return b;
  }
  varint(): number {
    let n = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
    }
  }
  text(): string {
    const size = this.varint();
    if (this.at + size > this.buffer.length) throw new Error("Session keys end early");
    const s = this.buffer.toString("utf8", this.at, this.at + size);
    this.at += size;
    return s;
  }
}
