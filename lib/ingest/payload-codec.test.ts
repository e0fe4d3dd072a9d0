import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { historyEvents } from "@/scripts/demo/traffic";
import { decodePayload, encodePayload, PAYLOAD_CODEC_DEFLATE_V1, PAYLOAD_CODEC_TEXT } from "./payload-codec";
import { PAYLOAD_DICTIONARY_V1 } from "./payload-dictionary";

const roundTrip = (text: string) => decodePayload(encodePayload(text), PAYLOAD_CODEC_DEFLATE_V1);

describe("payload codec", () => {
  it("pins dictionary v1: rows stored with it can only be read with these exact bytes", () => {
    expect(createHash("sha256").update(PAYLOAD_DICTIONARY_V1).digest("hex")).toBe("0a038c0f03fd7aee64044dfebae295ad74043bb688cd46d92b59df3bc820363d");
  });

  it.each([
    ["unicode (accents, CJK, emoji beyond the BMP, escapes kept as written)", '{"name":"Señora Müller 東京 👩🏽‍💻","esc":"\\u00e9\\ud83d\\ude00","rtl":"مرحبا"}'],
    ["odd whitespace", ' \t{ "event_type" :\r\n"deployment.failure" ,\u00a0"x":[ 1 ,2 ] }\n\n '],
    ["text that is not JSON", "not json at all {"],
    ["the empty string", ""],
    ["a NUL and control characters", '{"a":"\\u0000","b":"\u0001\u001f"}'],
  ])("gives back %s byte for byte", (_, text) => {
    expect(Buffer.from(roundTrip(text), "utf8").equals(Buffer.from(text, "utf8"))).toBe(true);
  });

  it("gives back a large event (over 500 KB of varied text) byte for byte", () => {
    const keys = Array.from({ length: 9000 }, (_, i) => ({ key: `k${i}`, value: createHash("md5").update(String(i)).digest("hex") }));
    const text = JSON.stringify({ event_type: "deployment.failure", user_session_keys: keys });
    expect(text.length).toBeGreaterThan(500_000);
    expect(roundTrip(text)).toBe(text);
  });

  it("reads rows still stored as text (codec 0), as a string or as bytes", () => {
    expect(decodePayload('{"a": "ñ"}', PAYLOAD_CODEC_TEXT)).toBe('{"a": "ñ"}');
    expect(decodePayload(Buffer.from('{"a": "ñ"}'), PAYLOAD_CODEC_TEXT)).toBe('{"a": "ñ"}');
  });

  it("refuses a codec it does not know instead of guessing", () => {
    expect(() => decodePayload(encodePayload("{}"), 99)).toThrow(/codec 99/);
  });

  it("stores Treble-shaped events in under a third of their size", () => {
    const end = Date.UTC(2026, 0, 1);
    let raw = 0;
    let stored = 0;
    for (const item of historyEvents({ seed: 5, start: end - 30 * 86_400_000, end, failures: 600 })) {
      const text = JSON.stringify(item.event);
      raw += Buffer.byteLength(text);
      stored += encodePayload(text).length;
      expect(roundTrip(text)).toBe(text);
    }
    expect(stored / raw).toBeLessThan(1 / 3);
  });
});
