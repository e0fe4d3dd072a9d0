import { expect, it } from "vitest";
import { open, seal } from "./secret-box";

const KEY = "a-secret-key-of-at-least-16";

it("seals with a fresh IV each time and opens with the same SECRET_KEY and purpose only", () => {
  const a = seal("ak_live_abcdef123456", KEY, "treble-api-key");
  const b = seal("ak_live_abcdef123456", KEY, "treble-api-key");
  expect(a).not.toBe(b);
  expect(a).not.toContain("abcdef");
  expect(open(a, KEY, "treble-api-key")).toBe("ak_live_abcdef123456");
  expect(open(a, "another-secret-key-0123", "treble-api-key")).toBeNull();
  expect(open(a, KEY, "another-purpose")).toBeNull();
});

it("refuses a tampered or malformed value", () => {
  const sealed = seal("ak_live_abcdef123456", KEY, "p");
  const parts = sealed.split(".");
  const flipped = Buffer.from(parts[3]!, "base64url");
  flipped[0] = flipped[0]! ^ 1;
  expect(open([parts[0], parts[1], parts[2], flipped.toString("base64url")].join("."), KEY, "p")).toBeNull();
  expect(open("v1.only.three", KEY, "p")).toBeNull();
  expect(open("plain text", KEY, "p")).toBeNull();
});
