import type Database from "better-sqlite3";
import { encodeSketch } from "@/lib/hll";
import { encodeDedupeKey, encodeSessionKeys } from "@/lib/ingest/compact-values";
import { encodePayload } from "@/lib/ingest/payload-codec";

/**
 * SQL functions through which migrations rewrite stored rows in the forms the code writes now:
 * `faultline_encode_payload(text)` deflates a payload with the current dictionary and
 * `faultline_encode_sketch(blob)` stores a contact sketch sparse when it is small (migration
 * compact_storage); `faultline_encode_dedupe_key(text)` and `faultline_encode_session_keys(text)`
 * give the tagged forms of lib/ingest/compact-values.ts (migration compact_keys). Registered on a
 * connection before it migrates.
 */
export function registerStorageFunctions(sqlite: Database.Database): void {
  sqlite.function("faultline_encode_payload", { deterministic: true }, (text: unknown) => {
    if (typeof text !== "string") throw new TypeError("faultline_encode_payload expects the payload text");
    return encodePayload(text);
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
}
