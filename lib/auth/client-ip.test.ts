import { describe, expect, it } from "vitest";
import { safeNextPath } from "./navigation";
import { resolveClientIp } from "./client-ip";

describe("client address", () => {
  it("is the socket's, unless behind a trusted proxy (then the entry the proxy appended)", () => {
    expect(resolveClientIp("::ffff:192.0.2.1", "6.6.6.6", false)).toBe("192.0.2.1");
    expect(resolveClientIp("10.0.0.2", "6.6.6.6, 203.0.113.5", true)).toBe("203.0.113.5");
    expect(resolveClientIp("10.0.0.2", undefined, true)).toBe("10.0.0.2");
  });
});

describe("redirect after sign-in", () => {
  it("stays on this site", () => {
    expect(safeNextPath("/failures?range=7d")).toBe("/failures?range=7d");
    expect(safeNextPath("/incidents/7?status=open#top")).toBe("/incidents/7?status=open");
    const bad = [null, "", "https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/login", "/login?next=/x", "/setup?code=x"];
    // Browsers drop tabs and newlines, so each of these would become //evil.example.
    bad.push("/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", "/\u0000/x");
    for (const next of bad) {
      expect(safeNextPath(next), JSON.stringify(next)).toBe("/");
    }
  });
});
