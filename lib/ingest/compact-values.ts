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
 * failures.user_session_keys: the JSON text deflated with the payload dictionary, which knows
 * Treble's session-key shapes (≈15 bytes for the usual three keys instead of ≈95).
 */
export function encodeSessionKeys(json: string): Buffer {
  return tagged(TAG_DEFLATE_V1, deflateV1(json));
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
    default:
      throw new Error(`Unknown session keys form ${stored[0]}`);
  }
}
