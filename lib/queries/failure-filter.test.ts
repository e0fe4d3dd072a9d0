import { describe, expect, it } from "vitest";
import { parseFilters } from "@/lib/filters";
import { seededRandom } from "@/lib/testing/failure-dataset";
import { and, phoneDigits, rawConditions, rollupsCanAnswer, splitWindow, type WindowParts } from "./failure-filter";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every span of the parts, labelled, in time order. */
const spans = (p: WindowParts) =>
  [...p.raw.map((s) => ["raw", ...s] as const), ...p.hours.map((s) => ["hours", ...s] as const), ...p.days.map((s) => ["days", ...s] as const)].sort(
    (a, b) => a[1] - b[1],
  );

function expectTiles(from: number, to: number, p: WindowParts): void {
  const all = spans(p);
  if (from >= to) {
    expect(all).toEqual([]);
    return;
  }
  // Contiguous, non-empty, no overlap, exactly [from, to).
  expect(all[0]![1]).toBe(from);
  expect(all.at(-1)![2]).toBe(to);
  for (const [, a, b] of all) expect(b).toBeGreaterThan(a);
  for (let i = 1; i < all.length; i++) expect(all[i]![1]).toBe(all[i - 1]![2]);
  // Rollup spans are whole UTC hours/days; raw spans are the partial hours at the edges.
  for (const [a, b] of p.hours) {
    expect(a % HOUR).toBe(0);
    expect(b % HOUR).toBe(0);
  }
  for (const [a, b] of p.days) {
    expect(a % DAY).toBe(0);
    expect(b % DAY).toBe(0);
  }
  expect(p.raw.length).toBeLessThanOrEqual(2);
  // (A window holding no whole UTC hour is read raw: under two hours.)
  for (const [a, b] of p.raw) expect(b - a).toBeLessThan(p.hours.length || p.days.length ? HOUR : 2 * HOUR);
  expect(p.days.length).toBeLessThanOrEqual(1);
  expect(p.hours.length).toBeLessThanOrEqual(2);
}

describe("splitWindow", () => {
  it("tiles random windows exactly, with and without days", () => {
    const rand = seededRandom(2026);
    const base = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 3000; i++) {
      const scale = [60_000, HOUR, DAY, 30 * DAY, 200 * DAY][i % 5]!;
      // Sometimes exactly on boundaries, sometimes anywhere.
      const snap = (t: number) => (rand() < 0.2 ? Math.round(t / HOUR) * HOUR : rand() < 0.1 ? Math.round(t / DAY) * DAY : t);
      const from = snap(base + Math.floor(rand() * 300 * DAY));
      const to = snap(from + Math.floor(rand() * scale));
      for (const useDays of [true, false]) {
        const parts = splitWindow(from, to, useDays);
        expectTiles(from, to, parts);
        if (!useDays) expect(parts.days).toEqual([]);
      }
    }
  });

  it("uses days for whole UTC days, hours around them and raw rows at the edges", () => {
    const from = Date.UTC(2026, 10, 1, 22, 15);
    const to = Date.UTC(2026, 10, 4, 3, 30);
    expect(splitWindow(from, to)).toEqual({
      raw: [
        [from, Date.UTC(2026, 10, 1, 23)],
        [Date.UTC(2026, 10, 4, 3), to],
      ],
      hours: [
        [Date.UTC(2026, 10, 1, 23), Date.UTC(2026, 10, 2)],
        [Date.UTC(2026, 10, 4), Date.UTC(2026, 10, 4, 3)],
      ],
      days: [[Date.UTC(2026, 10, 2), Date.UTC(2026, 10, 4)]],
    });
  });

  it("reads a window inside one hour from raw rows only, and an empty window not at all", () => {
    const from = Date.UTC(2026, 10, 1, 10, 5);
    expect(splitWindow(from, from + 30 * 60_000)).toEqual({ raw: [[from, from + 30 * 60_000]], hours: [], days: [] });
    expect(splitWindow(from, from)).toEqual({ raw: [], hours: [], days: [] });
  });

  it("needs no raw rows for windows on whole hours", () => {
    const from = Date.UTC(2026, 10, 1, 10);
    expect(splitWindow(from, from + 5 * HOUR)).toEqual({ raw: [], hours: [[from, from + 5 * HOUR]], days: [] });
    expect(splitWindow(Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 8))).toEqual({ raw: [], hours: [], days: [[Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 8)]] });
  });
});

describe("filter conditions", () => {
  it("extracts the digits of a phone search", () => {
    expect(phoneDigits("+57 (300) 111-2233")).toBe("573001112233");
    expect(phoneDigits("abc")).toBeNull();
    expect(phoneDigits(undefined)).toBeNull();
  });

  it("needs raw rows only for a phone search", () => {
    expect(rollupsCanAnswer(parseFilters(new URLSearchParams("line=x&status=open&class=no_action")))).toBe(true);
    expect(rollupsCanAnswer(parseFilters(new URLSearchParams("q=305")))).toBe(false);
  });

  it("binds every value as a parameter and maps (unknown) to the empty key", () => {
    const w = rawConditions(parseFilters(new URLSearchParams(`line=${encodeURIComponent("(unknown),x' OR 1=1 --")}&template=t&q=305`)));
    expect(w.sql).not.toContain("OR 1=1");
    expect(w.params).toEqual(["", "x' OR 1=1 --", "t", ...Array(6).fill("%305%")]);
  });

  it("matches nothing for a search without digits or disjoint reason filters", () => {
    expect(rawConditions(parseFilters(new URLSearchParams("q=abc"))).sql).toBe("FALSE");
    expect(rawConditions(parseFilters(new URLSearchParams("reason=REVOKED&class=retry_later"))).sql).toBe("FALSE");
  });

  it("joins conditions, with TRUE for none", () => {
    expect(and("", "a = 1", "", "b = 2")).toBe("a = 1 AND b = 2");
    expect(and("", "")).toBe("TRUE");
  });
});
