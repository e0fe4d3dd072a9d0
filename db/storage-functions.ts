import type Database from "better-sqlite3";
import { encodeSketch } from "@/lib/hll";
import { encodePayload } from "@/lib/ingest/payload-codec";

/**
 * SQL functions through which migrations rewrite stored rows in the forms the code writes now
 * (migration compact_storage): `faultline_encode_payload(text)` deflates a payload with the
 * current dictionary, `faultline_encode_sketch(blob)` stores a contact sketch sparse when it is
 * small. Registered on a connection before it migrates.
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
}
