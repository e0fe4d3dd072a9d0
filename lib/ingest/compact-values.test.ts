import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeDedupeKey, decodeSessionKeys, encodeDedupeKey, encodeSessionKeys } from "./compact-values";

describe("dedupe keys", () => {
  const sha = `sha256:${createHash("sha256").update("{}").digest("hex")}`;

  it.each([
    ["a lower-case UUID", "6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718", 17],
    ["a sha256 key", sha, 33],
    ["an upper-case UUID (kept as text: it must read back as sent)", "6F1C2B3A-9D8E-4F70-A1B2-C3D4E5F60718", 37],
    ["any other event id", "evt-ü-42", 10],
    ["a sha256-looking key that is not one", "sha256:XYZ", 11],
    ["the empty string", "", 1],
  ])("stores %s compactly and reads it back exactly", (_, key, bytes) => {
    const stored = encodeDedupeKey(key);
    expect(stored.length).toBe(bytes);
    expect(decodeDedupeKey(stored)).toBe(key);
  });

  it("never gives two keys the same stored form (the unique index deduplicates on it)", () => {
    const uuid = "00000000-0000-4000-8000-000000000000";
    // A text key whose bytes equal a UUID's or a digest's raw bytes still differs by its tag.
    const lookalike = Buffer.from(uuid.replaceAll("-", ""), "hex").toString("latin1");
    const keys = [uuid, sha, lookalike, sha.slice(7), uuid.replaceAll("-", "")];
    expect(new Set(keys.map((k) => encodeDedupeKey(k).toString("hex"))).size).toBe(keys.length);
  });

  it("refuses a form it does not know", () => {
    expect(() => decodeDedupeKey(Buffer.from([9, 1, 2]))).toThrow(/Unknown dedupe key form 9/);
  });
});

describe("session keys", () => {
  it("deflates Treble's usual keys to a fraction of their text and reads them back exactly", () => {
    const json = '[{"key":"deployment_squad","value":"DS_573176543210"},{"key":"customer_id","value":"CUS-982438"},{"key":"segment","value":"inactivo_90d"}]';
    const stored = encodeSessionKeys(json);
    expect(stored.length).toBeLessThan(json.length / 3);
    expect(decodeSessionKeys(stored)).toBe(json);
  });

  it("reads text-tagged keys (PostgreSQL rows converted by migration compact_keys) and null", () => {
    expect(decodeSessionKeys(Buffer.concat([Buffer.from([0]), Buffer.from('{"a":"ñ"}')]))).toBe('{"a":"ñ"}');
    expect(decodeSessionKeys(null)).toBeNull();
  });
});
