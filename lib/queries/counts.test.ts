import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import type { Value } from "@/db/steps";
import { parseFilters } from "@/lib/filters";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, failureDataset, HOUR } from "@/lib/testing/failure-dataset";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { failureCounts, failureTotal, WindowEdges, type CountDimension, type CountRow } from "./counts";
import { facetCounts } from "./facets";
import { bucketUnitFor, contactsEstimate, stats, timeline } from "./stats";

// The counting kernel (rollups for whole days and hours, raw rows or the hour's cube minus its
// rest for partial hours) on both engines: the same failures ingested into each through its own
// committer, every count equal to plain SQL over `failures`; then the filter pickers' facets and
// the overview (its timeline in several zones too).
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);
const [L1, L2] = DATASET_LINES;
const [T1] = DATASET_TEMPLATES;
const DO_NOT_CONTACT = ["INVALID_PHONE", "FAILURE_BY_BLOCKED_CONTACT", "FAILURE_BY_OPTOUT_CONTACT", "FAILURE_BY_UNABLE_TO_CONTACT", "FAILURE_BY_EXPERIMENT_NUMBER"];

const WINDOWS: Array<{ name: string; from: number; to: number }> = [
  // The first partial hour is longer than its rest: counted as the hour's cube minus the rest.
  { name: "90 days, mid-hour at both ends", from: NOW - 90 * DAY, to: NOW },
  { name: "7 days from 05:40 to 14:50", from: Date.UTC(2026, 10, 18, 5, 40), to: Date.UTC(2026, 10, 25, 14, 50) },
  { name: "26 hours, mid-hour", from: NOW - 26 * HOUR, to: NOW },
  { name: "45 minutes across an hour boundary", from: Date.UTC(2026, 10, 24, 9, 35, 10), to: Date.UTC(2026, 10, 24, 10, 20, 5) },
  { name: "whole hours over days", from: Date.UTC(2026, 10, 20, 3), to: Date.UTC(2026, 10, 23) },
];

/** A filter as the URL gives it, and the same selection written plainly over `failures f`. */
interface Case {
  query: string;
  reasons?: string[];
  line?: string;
  template?: string;
  digits?: string;
  statuses?: string[];
}

const CASES: Case[] = [
  { query: "" },
  { query: "reason=INVALID_PHONE,REVOKED", reasons: ["INVALID_PHONE", "REVOKED"] },
  { query: "class=do_not_contact", reasons: DO_NOT_CONTACT },
  { query: `line=${encodeURIComponent(L1)}`, line: L1 },
  { query: "line=(unknown)", line: "" },
  { query: `template=${encodeURIComponent(T1)}`, template: T1 },
  { query: "template=(unknown)", template: "" },
  { query: `line=${encodeURIComponent(L2)}&template=${encodeURIComponent(T1)}`, line: L2, template: T1 },
  { query: "status=acknowledged", statuses: ["acknowledged"] },
  { query: `status=open&line=${encodeURIComponent(L1)}`, statuses: ["open"], line: L1 },
  { query: "q=5", digits: "5" },
  { query: `q=30&line=${encodeURIComponent(L1)}`, digits: "30", line: L1 },
  { query: "q=305", digits: "305" },
  { query: `q=5555&template=${encodeURIComponent(T1)}`, digits: "5555", template: T1 },
];

function plainWhere(c: Case): { sql: string; params: Value[] } {
  const parts = ["f.occurred_at >= ?", "f.occurred_at < ?"];
  const params: Value[] = [];
  if (c.reasons) {
    parts.push(`f.reason IN (${c.reasons.map(() => "?").join(", ")})`);
    params.push(...c.reasons);
  }
  if (c.line !== undefined) {
    parts.push("f.line = ?");
    params.push(c.line);
  }
  if (c.template !== undefined) {
    parts.push("f.template = ?");
    params.push(c.template);
  }
  if (c.digits) {
    parts.push("(f.phone_e164 LIKE ? OR f.cellphone LIKE ?)");
    params.push(`%${c.digits}%`, `%${c.digits}%`);
  }
  if (c.statuses) {
    parts.push(
      `EXISTS (SELECT 1 FROM incidents i WHERE i.reason = f.reason AND i.line_key = f.line AND i.template_key = f.template AND i.status IN (${c.statuses.map(() => "?").join(", ")}))`,
    );
    params.push(...c.statuses);
  }
  return { sql: parts.join(" AND "), params };
}

const sorted = (rows: CountRow[]) => rows.map((r) => `${r.reason} | ${r.key} | ${r.n}`).sort();

/** Facet values and counts, in a stable order (equal counts may come in any order). */
const facetRows = (rows: Array<{ value: string | null; count: number }>) => rows.map((r) => `${r.value ?? "(unknown)"} | ${r.count}`).sort();

describe.each(ENGINES)("failure counts on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    const { prepared } = failureDataset({ now: NOW, seed: 31, count: 1500, exactly: [NOW - DAY, Date.UTC(2026, 10, 24, 10), Date.UTC(2026, 10, 18, 14)] });
    for (let i = 0; i < prepared.length; i += 500) await commitEventsTo(engine, prepared.slice(i, i + 500));
    await engine.exec("UPDATE incidents SET status = 'acknowledged' WHERE id % 3 = 1");
  }, CLUSTER_START_TIMEOUT_MS + 60_000);

  const plainTotal = async (c: Case, from: number, to: number) => {
    const where = plainWhere(c);
    return (await engine.one<{ n: number }>(`SELECT count(*) AS n FROM failures f WHERE ${where.sql}`, [from, to, ...where.params]))!.n;
  };
  const plainBy = async (c: Case, from: number, to: number, dim: CountDimension) => {
    const where = plainWhere(c);
    return engine.query<CountRow>(`SELECT f.reason AS reason, f.${dim} AS key, count(*) AS n FROM failures f WHERE ${where.sql} GROUP BY 1, 2`, [from, to, ...where.params]);
  };

  it("holds the dataset, with every filter matching some failures in the 90 days", async () => {
    expect(await plainTotal({ query: "" }, 0, NOW + DAY)).toBeGreaterThan(1500);
    for (const c of CASES) expect(await plainTotal(c, NOW - 90 * DAY, NOW), c.query).toBeGreaterThan(0);
  });

  it.each([
    { range: "7d", other: { reasons: ["INVALID_PHONE", "REVOKED"], line: L1 } },
    { range: "90d", other: { template: T1, digits: "30" } },
    { range: "24h", other: {} },
    // The reasons from the lines' read (the cube's, under a status), from the templates', and apart.
    { range: "90d", other: { statuses: ["acknowledged"] } },
    { range: "7d", other: { line: L1 } },
    { range: "90d", other: { line: L1, template: T1 } },
  ])("counts each facet under every filter but its own, as plain SQL does: $range, $other", async ({ range, other }) => {
    const c: Case = { query: "", ...other };
    const query = new URLSearchParams({
      range,
      ...(c.reasons ? { reason: c.reasons.join(",") } : {}),
      ...(c.line ? { line: c.line } : {}),
      ...(c.template ? { template: c.template } : {}),
      ...(c.digits ? { q: c.digits } : {}),
      ...(c.statuses ? { status: c.statuses.join(",") } : {}),
    });
    const facets = await inSnapshot(engine, (dialect) => facetCounts(dialect, parseFilters(query), NOW));
    const from = NOW - { "7d": 7, "90d": 90, "24h": 1 }[range]! * DAY;
    const plainFacet = async (without: Case, dim: CountDimension | "reason") => {
      const where = plainWhere(without);
      const rows = await engine.query<{ value: string; count: number }>(`SELECT f.${dim} AS value, count(*) AS count FROM failures f WHERE ${where.sql} GROUP BY 1`, [from, NOW, ...where.params]);
      return rows.map((r) => ({ value: r.value || null, count: r.count }));
    };
    expect(facetRows(facets.lines.map((r) => ({ value: r.line, count: r.count })))).toEqual(facetRows(await plainFacet({ ...c, line: undefined }, "line")));
    expect(facetRows(facets.templates.map((r) => ({ value: r.template, count: r.count })))).toEqual(facetRows(await plainFacet({ ...c, template: undefined }, "template")));
    expect(facetRows(facets.reasons.map((r) => ({ value: r.reason, count: r.count })))).toEqual(facetRows(await plainFacet({ ...c, reasons: undefined }, "reason")));
  });

  it.each<{ name: string; plain: Case; days: number; tz: string }>([
    { name: "90 days by UTC day (daily rollups)", plain: { query: "" }, days: 90, tz: "UTC" },
    { name: "90 days by Kolkata day, reasons (quarter hours at the day edges)", plain: CASES[1]!, days: 90, tz: "Asia/Kolkata" },
    { name: "90 days by UTC day, two-digit search", plain: { query: "q=30", digits: "30" }, days: 90, tz: "UTC" },
    { name: "30 days by New York day across its DST change, a line (daily line rollups)", plain: { query: `line=${encodeURIComponent(L1)}`, line: L1 }, days: 30, tz: "America/New_York" },
    { name: "90 days by Bogota day, a template and a reason (daily template rollups)", plain: { query: `template=${encodeURIComponent(T1)}&reason=INVALID_PHONE,REVOKED`, template: T1, reasons: ["INVALID_PHONE", "REVOKED"] }, days: 90, tz: "America/Bogota" },
    { name: "90 days by Bogota day, a line and a template (hourly cube)", plain: { query: `line=${encodeURIComponent(L1)}&template=${encodeURIComponent(T1)}`, line: L1, template: T1 }, days: 90, tz: "America/Bogota" },
    { name: "7 days by UTC hour, a template", plain: { query: `template=${encodeURIComponent(T1)}`, template: T1 }, days: 7, tz: "UTC" },
    { name: "7 days by Bogota hour, a status (raw rows)", plain: { query: "status=acknowledged", statuses: ["acknowledged"] }, days: 7, tz: "America/Bogota" },
    { name: "24 hours by Kathmandu hour, a class (quarter-hour rollup)", plain: { query: "class=do_not_contact", reasons: DO_NOT_CONTACT }, days: 1, tz: "Asia/Kathmandu" },
    { name: "3 hours by minute", plain: { query: "" }, days: 3 / 24, tz: "UTC" },
  ])("a timeline equals plain SQL per bucket: $name", async ({ plain, days, tz }) => {
    const filters = parseFilters(new URLSearchParams(plain.query));
    const [from, to] = [NOW - days * DAY, NOW];
    const points = await inSnapshot(engine, (dialect) => timeline(dialect, filters, from, to, tz, bucketUnitFor(to - from)));
    const starts = points.map((p) => Date.parse(p.bucket));
    const where = plainWhere(plain);
    let total = 0;
    for (const [i, start] of starts.entries()) {
      const rows = await engine.query<{ reason: string; n: number }>(`SELECT f.reason AS reason, count(*) AS n FROM failures f WHERE ${where.sql} GROUP BY 1`, [
        Math.max(start, from),
        starts[i + 1] ?? to,
        ...where.params,
      ]);
      expect(points[i]!.counts, points[i]!.bucket).toEqual(Object.fromEntries(rows.map((r) => [r.reason, r.n])));
      total += rows.reduce((sum, r) => sum + r.n, 0);
    }
    expect(total).toBeGreaterThan(0);
  });

  it.each([
    { range: "24h", plain: CASES[0]! },
    { range: "7d", plain: CASES[3]! },
    { range: "90d", plain: CASES[7]! },
    { range: "7d", plain: CASES[1]! },
    { range: "90d", plain: { query: "q=30", digits: "30" } },
    { range: "7d", plain: CASES[8]! },
  ])("the overview equals plain SQL: $range, '$plain.query'", async ({ range, plain }) => {
    const from = NOW - { "24h": 1, "7d": 7, "90d": 90 }[range]! * DAY;
    const afterId = (await engine.one<{ id: number }>("SELECT id FROM failures ORDER BY id LIMIT 1 OFFSET 1000"))!.id;
    const filters = parseFilters(new URLSearchParams(`${plain.query}&range=${range}`));
    const overview = await inSnapshot(engine, (dialect) => stats(dialect, filters, { now: NOW, afterId }));
    const where = plainWhere(plain);
    const one = async (sql: string, params: Value[]) => (await engine.one<{ n: number }>(sql, params))!.n;
    expect(overview.total).toBe(await plainTotal(plain, from, NOW));
    expect(overview.previousTotal).toBe(await plainTotal(plain, from - (NOW - from), from));
    const byReason = await engine.query<{ reason: string; n: number }>(`SELECT f.reason AS reason, count(*) AS n FROM failures f WHERE ${where.sql} GROUP BY 1`, [from, NOW, ...where.params]);
    expect(overview.byReason.map((r) => `${r.reason} | ${r.count}`).sort()).toEqual(byReason.map((r) => `${r.reason} | ${r.n}`).sort());
    const plainTallies = async (dim: CountDimension) => {
      const counts = new Map<string, number>();
      for (const r of await plainBy(plain, from, NOW, dim)) counts.set(r.key, (counts.get(r.key) ?? 0) + r.n);
      return [...counts].map(([key, count]) => ({ value: key || null, count }));
    };
    expect(facetRows(overview.byLine.map((r) => ({ value: r.line, count: r.count })))).toEqual(facetRows(await plainTallies("line")));
    expect(facetRows(overview.byTemplate.map((r) => ({ value: r.template, count: r.count })))).toEqual(facetRows(await plainTallies("template")));
    expect(overview.contacts).toBe(await one(`SELECT count(DISTINCT coalesce(f.phone_e164, f.cellphone)) AS n FROM failures f WHERE ${where.sql}`, [from, NOW, ...where.params]));
    expect(overview.contactsApproximate).toBe(false);
    const timelineTotal = overview.timeline.reduce((sum, p) => sum + Object.values(p.counts).reduce((a, b) => a + b, 0), 0);
    expect(timelineTotal).toBe(overview.total);
    const incidentDims = [
      ...(plain.reasons ? [`i.reason IN (${plain.reasons.map(() => "?").join(", ")})`] : []),
      ...(plain.line !== undefined ? ["i.line_key = ?"] : []),
      ...(plain.template !== undefined ? ["i.template_key = ?"] : []),
    ];
    const phone = plain.digits ? " AND (f.phone_e164 LIKE ? OR f.cellphone LIKE ?)" : "";
    expect(overview.openIncidents).toBe(
      await one(
        `SELECT count(*) AS n FROM incidents i WHERE i.status = 'open' ${incidentDims.map((d) => `AND ${d} `).join("")}
         AND EXISTS (SELECT 1 FROM failures f WHERE f.incident_id = i.id AND f.occurred_at >= ? AND f.occurred_at < ?${phone})`,
        [...(plain.reasons ?? []), ...(plain.line !== undefined ? [plain.line] : []), ...(plain.template !== undefined ? [plain.template] : []), from, NOW, ...(plain.digits ? [`%${plain.digits}%`, `%${plain.digits}%`] : [])],
      ),
    );
    expect(overview.latestFailureId).toBe(await one("SELECT max(id) AS n FROM failures", []));
    expect(overview.newSinceAfterId).toBe(await one(`SELECT count(*) AS n FROM failures f WHERE ${where.sql} AND f.id > ?`, [from, NOW + DAY, ...where.params, afterId]));
  });

  it("estimates a long window's contacts from the stored sketches within HyperLogLog's error", async () => {
    for (const c of [CASES[0]!, CASES[2]!]) {
      const [from, to] = [NOW - 90 * DAY, NOW];
      const estimate = await inSnapshot(engine, (dialect) => contactsEstimate(dialect, parseFilters(new URLSearchParams(c.query)), from, to));
      const where = plainWhere(c);
      const exact = (await engine.one<{ n: number }>(`SELECT count(DISTINCT coalesce(f.phone_e164, f.cellphone)) AS n FROM failures f WHERE ${where.sql}`, [from, to, ...where.params]))!.n;
      expect(Math.abs(estimate - exact) / exact, c.query).toBeLessThan(0.1);
    }
  });

  describe.each(WINDOWS)("$name", ({ from, to }) => {
    it.each(CASES)("totals and breakdowns by line and template equal plain SQL: '$query'", async (c) => {
      const filters = parseFilters(new URLSearchParams(c.query));
      const total = await inSnapshot(engine, (dialect) => failureTotal(dialect, filters, from, to));
      expect(total).toBe(await plainTotal(c, from, to));
      // One reading of the edges for both breakdowns, as an answer's counts share it.
      const edges = new WindowEdges(from, to);
      for (const dim of ["line", "template"] as const) {
        const counted = await inSnapshot(engine, (dialect) => failureCounts(dialect, filters, from, to, dim, edges));
        expect(sorted(counted), dim).toEqual(sorted(await plainBy(c, from, to, dim)));
      }
    });
  });
});
