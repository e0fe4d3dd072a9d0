import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { TimelinePoint } from "@/lib/queries/stats";
import { seriesOf, SERIES, SERIES_COLORS, shapeTimeline, topN } from "./shape";

const point = (bucket: string, counts: Record<string, number>): TimelinePoint => ({ bucket, counts });

describe("shapeTimeline", () => {
  // Day buckets in Bogota (05:00 UTC) for a window that starts and ends inside a day.
  const window = { from: "2026-11-20T15:17:23.456Z", to: "2026-11-23T15:17:23.456Z" };
  const points = [
    point("2026-11-20T05:00:00.000Z", { INVALID_PHONE: 3, FAILURE_BY_RATE_LIMIT: 5, FAILURE_BY_NEW_META_RULE: 1 }),
    point("2026-11-21T05:00:00.000Z", {}),
    point("2026-11-22T05:00:00.000Z", { MISSING_PARAMETER: 2, REVOKED: 4, FAILURE_BY_TIER_CAPACITY: 4 }),
    point("2026-11-23T05:00:00.000Z", { FAILURE_BY_BLOCKED_CONTACT: 7 }),
  ];
  const rows = shapeTimeline(points, window, "America/Bogota", "day");

  it("keeps one row per bucket, labelled in the time zone", () => {
    expect(rows.map((r) => r.label)).toEqual(["11-20", "11-21", "11-22", "11-23"]);
  });

  it("clamps each row's slice to the window, and the slices tile it", () => {
    expect(rows.map((r) => [r.from, r.to])).toEqual([
      ["2026-11-20T15:17:23.456Z", "2026-11-21T05:00:00.000Z"],
      ["2026-11-21T05:00:00.000Z", "2026-11-22T05:00:00.000Z"],
      ["2026-11-22T05:00:00.000Z", "2026-11-23T05:00:00.000Z"],
      ["2026-11-23T05:00:00.000Z", "2026-11-23T15:17:23.456Z"],
    ]);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.from).toBe(rows[i - 1]!.to);
  });

  it("sums reasons into their class, unrecognised reasons apart", () => {
    expect(rows[0]).toMatchObject({ total: 9, retry_later: 5, do_not_contact: 3, fix_then_retry: 0, no_action: 0, unrecognised: 1 });
    expect(rows[1]).toMatchObject({ total: 0, retry_later: 0, do_not_contact: 0, fix_then_retry: 0, no_action: 0, unrecognised: 0, reasons: [] });
    expect(rows[2]).toMatchObject({ total: 10, retry_later: 4, fix_then_retry: 2, no_action: 4, do_not_contact: 0 });
    for (const row of rows) expect(SERIES.reduce((s, k) => s + row[k], 0)).toBe(row.total);
  });

  it("lists each bucket's reasons, most first (ties by code)", () => {
    expect(rows[0]!.reasons).toEqual([
      { reason: "FAILURE_BY_RATE_LIMIT", count: 5 },
      { reason: "INVALID_PHONE", count: 3 },
      { reason: "FAILURE_BY_NEW_META_RULE", count: 1 },
    ]);
    expect(rows[2]!.reasons.map((r) => r.reason)).toEqual(["FAILURE_BY_TIER_CAPACITY", "REVOKED", "MISSING_PARAMETER"]);
  });

  it("handles a single bucket covering the whole window, and no buckets", () => {
    const single = shapeTimeline([point("2026-11-25T10:00:00.000Z", { FAILURE: 2 })], { from: "2026-11-25T10:12:00.000Z", to: "2026-11-25T10:40:00.000Z" }, "UTC", "minute");
    expect(single).toHaveLength(1);
    expect(single[0]).toMatchObject({ from: "2026-11-25T10:12:00.000Z", to: "2026-11-25T10:40:00.000Z", total: 2, label: "10:00" });
    expect(shapeTimeline([], window, "UTC", "hour")).toEqual([]);
  });

  it("labels hour buckets of a half-hour zone at local whole hours", () => {
    const hourly = shapeTimeline(
      [point("2026-11-25T09:30:00.000Z", {}), point("2026-11-25T10:30:00.000Z", {})],
      { from: "2026-11-25T09:45:00.000Z", to: "2026-11-25T11:00:00.000Z" },
      "Asia/Kolkata",
      "hour",
    );
    expect(hourly.map((r) => r.label)).toEqual(["11-25 15:00", "11-25 16:00"]);
  });
});

describe("seriesOf", () => {
  it("maps known reasons to their class and the rest to unrecognised", () => {
    expect(seriesOf("INVALID_PHONE")).toBe("do_not_contact");
    expect(seriesOf("FAILURE_BY_DISABLED_HSM")).toBe("fix_then_retry");
    expect(seriesOf("REVOKED")).toBe("no_action");
    expect(seriesOf("FAILURE")).toBe("retry_later");
    expect(seriesOf("invalid_phone")).toBe("unrecognised"); // stored codes are canonical already
    expect(seriesOf("SOMETHING_NEW")).toBe("unrecognised");
  });

  it("has a theme colour (a CSS variable of app/globals.css) for every series", () => {
    const css = fs.readFileSync(path.join(process.cwd(), "app", "globals.css"), "utf8");
    for (const s of SERIES) {
      const variable = /^var\((--[a-z_]+)\)$/.exec(SERIES_COLORS[s])?.[1];
      expect(variable, s).toBeDefined();
      expect(css).toContain(`${variable}:`);
    }
  });
});

describe("topN", () => {
  const lines = [
    { line: "+571", count: 5 },
    { line: null, count: 40 },
    { line: "+572", count: 12 },
    { line: "+573", count: 1 },
    { line: "+574", count: 30 },
  ];
  const top = (n: number) => topN(lines, n, (r) => r.line, (r) => r.count, (k) => k ?? "(unknown)");

  it("keeps the N largest, most first, and sums the rest into one “other” bar", () => {
    expect(top(2)).toEqual([
      { key: null, label: "(unknown)", count: 40, isOther: false },
      { key: "+574", label: "+574", count: 30, isOther: false },
      { key: null, label: "Other (3)", count: 18, isOther: true },
    ]);
  });

  it("keeps the grand total", () => {
    for (let n = 0; n <= 6; n++) expect(top(n).reduce((s, r) => s + r.count, 0)).toBe(88);
  });

  it("has no “other” bar when nothing remains", () => {
    expect(top(5).some((r) => r.isOther)).toBe(false);
    expect(top(10)).toHaveLength(5);
    expect(topN([], 3, () => "x", () => 1, String)).toEqual([]);
  });

  it("does not reorder its input", () => {
    const before = JSON.stringify(lines);
    top(2);
    expect(JSON.stringify(lines)).toBe(before);
  });
});

