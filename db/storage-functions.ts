import type Database from "better-sqlite3";
import { encodeSketch } from "@/lib/hll";
import { decodeDedupeKey, encodeDedupeKey, encodeSessionKeys } from "@/lib/ingest/compact-values";
import { decodePayload, deflateV1, encodePayload, PAYLOAD_CODEC_DEFLATE_V1_ID_CUT } from "@/lib/ingest/payload-codec";

/**
 * SQL functions through which migrations rewrite stored rows in the forms the code writes now:
 * `faultline_encode_payload(text)` deflates a payload with the current dictionary and
 * `faultline_encode_sketch(blob)` stores a contact sketch sparse when it is small (migration
 * compact_storage); `faultline_encode_dedupe_key(text)` and `faultline_encode_session_keys(text)`
 * give the tagged forms of lib/ingest/compact-values.ts (migration compact_keys);
 * `faultline_cut_event_id(payload, codec, dedupe_key)` re-stores a payload with its event id cut
 * out (codec 2), or gives null when it cannot be (migration payload_id_cut). Registered on a
 * connection before it migrates.
 */
export function registerStorageFunctions(sqlite: Database.Database): void {
  sqlite.function("faultline_encode_payload", { deterministic: true }, (text: unknown) => {
    if (typeof text !== "string") throw new TypeError("faultline_encode_payload expects the payload text");
    return deflateV1(text);
  });
  sqlite.function("faultline_encode_sketch", { deterministic: true }, (registers: unknown) => {
    if (!Buffer.isBuffer(registers)) throw new TypeError("faultline_encode_sketch expects the registers");
    return Buffer.from(encodeSketch(registers));
  });
  sqlite.function("faultline_encode_dedupe_key", { deterministic: true }, (key: unknown) => {
    if (typeof key !== "string") throw new TypeError("faultline_encode_dedupe_key expects the key text");
    return encodeDedupeKey(key);
  });
  sqlite.function("faultline_encode_session_keys", { deterministic: true }, (json: unknown) => {
    if (typeof json !== "string") throw new TypeError("faultline_encode_session_keys expects the JSON text");
    return encodeSessionKeys(json);
  });
  // The migration asks twice per row (WHERE, then SET) with the same arguments: the last answer is kept.
  let last: { payload: Buffer; codec: number; dedupeKey: Buffer; cut: Buffer | null } | undefined;
  sqlite.function("faultline_cut_event_id", { deterministic: true }, (payload: unknown, codec: unknown, dedupeKey: unknown) => {
    if (!Buffer.isBuffer(payload) || typeof codec !== "number" || !Buffer.isBuffer(dedupeKey)) throw new TypeError("faultline_cut_event_id expects payload, codec, dedupe key");
    if (last && last.codec === codec && last.payload.equals(payload) && last.dedupeKey.equals(dedupeKey)) return last.cut;
    const key = decodeDedupeKey(dedupeKey);
    const recoded = encodePayload(decodePayload(payload, codec, key), key);
    last = { payload, codec, dedupeKey, cut: recoded.codec === PAYLOAD_CODEC_DEFLATE_V1_ID_CUT ? recoded.stored : null };
    return last.cut;
  });
}
