import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeDedupeKey, decodeSessionKeys, encodeDedupeKey, encodeSessionKeys } from "./compact-values";
import { deflateV1 } from "./payload-codec";

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
  const usual = '[{"key":"deployment_squad","value":"DS_573176543210"},{"key":"customer_id","value":"CUS-982438"},{"key":"segment","value":"inactivo_90d"}]';
  /** `json` stored in the form `tag` names, and read back exactly. */
  const storedAs = (json: string, tag: number): Buffer => {
    const stored = encodeSessionKeys(json);
    expect(stored[0]).toBe(tag);
    expect(decodeSessionKeys(stored)).toBe(json);
    return stored;
  };

  it.each([
    ["Treble's usual keys", usual],
    ["keys of other names, in any script", '[{"key":"pedido","value":"Nº 4512 – entrega mañana 🚚"},{"key":"customer_id","value":""}]'],
    ["a value longer than 127 bytes (a two-byte length)", JSON.stringify([{ key: "nota", value: "x".repeat(300) }])],
    ["an object of values", '{"customer_id":"CUS-078030","segment":"vip","ciudad":"Bogotá"}'],
    ["no keys", "[]"],
    ["an empty object", "{}"],
  ])("stores %s as length-prefixed strings and reads them back exactly", (_, json) => {
    expect(storedAs(json, 4).length).toBeLessThan(Buffer.byteLength(json) + 4);
  });

  it("names the usual keys in one byte each: about half the text", () => {
    expect(storedAs(usual, 4).length).toBe(1 + 1 + 1 + (1 + 1 + 15) + (1 + 1 + 10) + (1 + 1 + 12));
  });

  it.each([
    ["spaces JSON.stringify would not write", '[{"key": "segment", "value": "vip"}]'],
    ["a number", '[{"key":"segment","value":3}]'],
    ["a pair with another field", '[{"key":"segment","value":"vip","extra":"1"}]'],
    ["a pair written value first", '[{"value":"vip","key":"segment"}]'],
    ["a nested value", '{"segment":{"a":"b"}}'],
    ["a repeated name", '{"segment":"a","segment":"b"}'],
    ["a lone surrogate", '[{"key":"segment","value":"\\ud800"}]'],
    ["a string", '"vip"'],
    ["text that is not JSON", "[{"],
  ])("deflates other JSON (%s) and reads it back exactly", (_, json) => {
    storedAs(json, 3);
  });

  it("reads the forms older rows hold: deflated, text-tagged (migration compact_keys), and null", () => {
    expect(decodeSessionKeys(Buffer.concat([Buffer.from([3]), deflateV1(usual)]))).toBe(usual);
    expect(decodeSessionKeys(Buffer.concat([Buffer.from([0]), Buffer.from('{"a":"ñ"}')]))).toBe('{"a":"ñ"}');
    expect(decodeSessionKeys(null)).toBeNull();
  });

  it("refuses a body that ends early or names a key it does not know", () => {
    const stored = encodeSessionKeys(usual);
    expect(() => decodeSessionKeys(stored.subarray(0, stored.length - 3))).toThrow(/end early/);
    expect(() => decodeSessionKeys(Buffer.from([4, 0, 1, 9, 0]))).toThrow(/Unknown session key name 9/);
    expect(() => decodeSessionKeys(Buffer.from([7]))).toThrow(/Unknown session keys form 7/);
  });
});
