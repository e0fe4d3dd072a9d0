import { describe, expect, it } from "vitest";
import { matchesSearch } from "./option-search";

const line = "Ventas CO (+57 310 456 7890) +573104567890";

describe("matchesSearch", () => {
  it("matches a label regardless of case", () => {
    expect(matchesSearch(line, "ventas co")).toBe(true);
    expect(matchesSearch(line, "Cobranza")).toBe(false);
  });

  it("matches digits however they are spaced", () => {
    expect(matchesSearch(line, "3104567")).toBe(true);
    expect(matchesSearch(line, "+57 310-456")).toBe(true);
    expect(matchesSearch(line, "3109")).toBe(false);
  });

  it("matches everything when nothing is typed", () => {
    expect(matchesSearch(line, "  ")).toBe(true);
  });
});
