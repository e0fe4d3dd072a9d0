import { expect } from "vitest";
import type { Engine } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import type { Filters } from "@/lib/filters";
import { facetCounts } from "@/lib/queries/facets";
import { stats as overview, type Stats } from "@/lib/queries/stats";
import { plainSqlWhere, type Dropped, type PlainSql, type PlainSqlFilter } from "./failure-dataset";

/** One value per row of `rows`, keyed as the plain SQL's GROUP BY keys them (null as ""). */
const asMap = <T>(rows: readonly T[], key: (r: T) => string | null, n: (r: T) => number) => Object.fromEntries(rows.map((r) => [key(r) ?? "", n(r)]));

/** `what` (count(*) unless given) over `from`'s rows. */
export async function countOn(engine: Engine, from: PlainSql, what = "count(*)"): Promise<number> {
  return (await engine.one<{ n: number }>(`SELECT ${what} AS n ${from.sql}`, from.params))!.n;
}

/** Failures per value of `col` in [from, to) under `filter`. */
async function groupedOn(engine: Engine, filter: PlainSqlFilter, from: number, to: number, col: string, drop?: Dropped): Promise<Record<string, number>> {
  const w = plainSqlWhere(filter, from, to, drop);
  const rows = await engine.query<{ k: string; n: number }>(`SELECT ${col} AS k, count(*) AS n ${w.sql} GROUP BY 1`, w.params);
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

/**
 * The overview (totals, the previous period, reasons, lines, templates, every timeline bucket) and
 * the facets for `filters` over [from, now), each equal to the plain SQL for `filter`. Returns the
 * overview and the plain total, for checks of their own.
 */
export async function expectOverviewEqualsPlainSql(engine: Engine, filters: Filters, filter: PlainSqlFilter, from: number, now: number): Promise<{ stats: Stats; total: number }> {
  const grouped = (start: number, end: number, col: string, drop?: Dropped) => groupedOn(engine, filter, start, end, col, drop);
  const stats = await inSnapshot(engine, (dialect) => overview(dialect, filters, { now, defaultTz: "UTC" }));
  const total = await countOn(engine, plainSqlWhere(filter, from, now));
  expect(stats.total, "total").toBe(total);
  expect(total, "a case that matches nothing proves little").toBeGreaterThan(0);
  expect(stats.previousTotal, "previousTotal").toBe(await countOn(engine, plainSqlWhere(filter, from - (now - from), from)));
  expect(asMap(stats.byReason, (r) => r.reason, (r) => r.count), "byReason").toEqual(await grouped(from, now, "f.reason"));
  expect(asMap(stats.byLine, (r) => r.line, (r) => r.count), "byLine").toEqual(await grouped(from, now, "f.line"));
  expect(asMap(stats.byTemplate, (r) => r.template, (r) => r.count), "byTemplate").toEqual(await grouped(from, now, "f.template"));
  const starts = stats.timeline.map((p) => Date.parse(p.bucket));
  for (const [i, point] of stats.timeline.entries()) {
    const bucket = await grouped(Math.max(starts[i]!, from), Math.min(starts[i + 1] ?? now, now), "f.reason");
    expect(point.counts, `bucket ${point.bucket}`).toEqual(bucket);
  }

  const facets = await inSnapshot(engine, (dialect) => facetCounts(dialect, filters, now));
  expect(asMap(facets.lines, (r) => r.line, (r) => r.count), "facet lines").toEqual(await grouped(from, now, "f.line", { line: true }));
  expect(asMap(facets.templates, (r) => r.template, (r) => r.count), "facet templates").toEqual(await grouped(from, now, "f.template", { template: true }));
  expect(asMap(facets.reasons, (r) => r.reason, (r) => r.count), "facet reasons").toEqual(await grouped(from, now, "f.reason", { reason: true }));
  return { stats, total };
}
