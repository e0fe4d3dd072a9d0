import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@/lib/http/errors";
import { MAX_JSON_DEPTH, parseWebhookBody } from "./json-batch";

const bytes = (text: string) => new TextEncoder().encode(text);
const parse = (text: string, maxBatch = 1000) => parseWebhookBody(bytes(text), maxBatch);

function rejection(body: Uint8Array | string, maxBatch = 1000): InvalidInputError {
  try {
    parseWebhookBody(typeof body === "string" ? bytes(body) : body, maxBatch);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error("expected the body to be rejected");
}

/** `{"a":{"a":…{}…}}` with `depth` levels of objects. */
const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;

describe("parseWebhookBody", () => {
  it("parses a single event and keeps its text (outer whitespace trimmed)", () => {
    const text = '{ "event_type" : "x",\t"n": 1 }';
    expect(parse(`\r\n ${text} \n`)).toEqual({ events: [{ event_type: "x", n: 1 }], texts: [text], isBatch: false });
  });

  it("drops a UTF-8 byte order mark", () => {
    expect(parse('\uFEFF{"a":1}')).toEqual({ events: [{ a: 1 }], texts: ['{"a":1}'], isBatch: false });
  });

  it("slices each batch element's exact text, whatever the whitespace and contents", () => {
    const elements = [
      '{"a":1}',
      '{ "s" : "with ] , } [ { inside",\n\t"esc": "quote \\" and backslash \\\\" }',
      '{"nested":[{"x":[1,2,{"y":"]"}]}],"u":"\\u00e9 é 😀"}',
      '{}',
    ];
    const body = `[\n  ${elements[0]} ,\r\n${elements[1]},${elements[2]}\t,   ${elements[3]}\n]`;
    const parsed = parse(body);
    expect(parsed.isBatch).toBe(true);
    expect(parsed.texts).toEqual(elements);
    expect(parsed.events).toEqual(elements.map((e) => JSON.parse(e)));
  });

  it("rejects a batch holding anything but objects, naming every such element (framing, not content)", () => {
    const err = rejection('[1, "two", null, {"a":[]}, [{}]]');
    expect(err.code).toBe("invalid_payload");
    expect(err.details).toEqual(["[0]", "[1]", "[2]", "[4]"].map((path) => ({ path, message: "must be an object" })));
  });

  it("accepts exactly the batch limit and rejects one more", () => {
    const batch = (n: number) => `[${Array.from({ length: n }, (_, i) => `{"i":${i}}`).join(",")}]`;
    expect(parse(batch(3), 3).events).toHaveLength(3);
    const err = rejection(batch(4), 3);
    expect(err.code).toBe("invalid_payload");
    expect(err.message).toMatch(/at most 3/);
  });

  it("rejects an empty batch", () => {
    expect(rejection("[]").message).toMatch(/empty/);
    expect(rejection(" [ \n ] ").message).toMatch(/empty/);
  });

  it("rejects a body that is neither an object nor an array", () => {
    for (const text of ["42", '"text"', "null", "true"]) {
      expect(rejection(text).details?.[0]?.message).toBe("must be an object or an array");
    }
  });

  it("rejects malformed JSON", () => {
    for (const text of ["", "{", '{"a":1,}', "{'a':1}", '{"a":1} {"b":2}', "[1,]", "NaN"]) {
      expect(rejection(text).code, JSON.stringify(text)).toBe("invalid_json");
    }
  });

  it("rejects bytes that are not UTF-8", () => {
    for (const body of [
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), // {"a":"\xff"}
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]), // truncated sequence
      Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // UTF-16 surrogate
    ]) {
      expect(rejection(body).code).toBe("invalid_encoding");
    }
  });

  it(`accepts nesting of ${MAX_JSON_DEPTH} levels and rejects deeper`, () => {
    expect(parse(nested(MAX_JSON_DEPTH)).events).toHaveLength(1);
    expect(rejection(nested(MAX_JSON_DEPTH + 1)).message).toMatch(/nesting deeper than 32/);
    // The batch array counts as a level.
    expect(parse(`[${nested(MAX_JSON_DEPTH - 1)}]`).events).toHaveLength(1);
    expect(rejection(`[${nested(MAX_JSON_DEPTH)}]`).code).toBe("invalid_json");
  });

  it("does not count brackets inside strings as nesting", () => {
    const text = `{"s":"${"[{".repeat(100)}"}`;
    expect(parse(text).texts).toEqual([text]);
  });
});
