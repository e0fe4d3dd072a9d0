import type Database from "better-sqlite3";
import type { Filters } from "@/lib/filters";
import { and, rawConditions, rollupConditions, rollupsCanAnswer, rollupSource, splitWindow, type RollupName } from "./failure-filter";

/**
 * Failure counts for a window under the filters, read from the smallest pre-aggregate that
 * answers them exactly (see db/schema.ts); only partial hours at the edges touch raw rows.
 */

/** The dimension counts are broken down by, beside the reason. */
export type CountDimension = "line" | "template";

export interface CountRow {
  reason: string;
  /** The line or template ("" = unknown). */
  key: string;
  n: number;
}

/** Whether this breakdown needs the reason × line × template cube (rollup_day, rollup_hour). */
function needsCube(filters: Filters, dim: CountDimension): boolean {
  if (filters.status.length) return true;
  if (dim === "line") return filters.template.length > 0;
  return filters.line.length > 0;
}

/** Failure counts per (reason, line) or (reason, template) in [from, to). */
export function countBy(sqlite: Database.Database, filters: Filters, from: number, to: number, dim: CountDimension): CountRow[] {
  const selects: string[] = [];
  const params: unknown[] = [];
  const raw = rawConditions(filters);
  const rawPart = ([a, b]: [number, number]) => {
    selects.push(
      `SELECT f.reason AS reason, f.${dim} AS key, count(*) AS n FROM failures f
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} GROUP BY 1, 2`,
    );
    params.push(a, b, ...raw.params);
  };
  const rollupPart = (table: RollupName, [a, b]: [number, number], withLine: boolean, withTemplate: boolean) => {
    const cond = rollupConditions(filters, { line: withLine, template: withTemplate });
    // Whenever rollupsCanAnswer, every table countBy reads has a phone-gram counterpart.
    const source = rollupSource(filters, table)!;
    selects.push(
      `SELECT r.reason AS reason, r.${dim} AS key, sum(r.${source.count}) AS n FROM ${source.table} r
       WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)} GROUP BY 1, 2`,
    );
    params.push(a, b, ...cond.params);
  };

  // A phone-gram search has no cube: breakdowns across a filtered dimension read raw rows.
  if (!rollupsCanAnswer(filters) || (needsCube(filters, dim) && !rollupSource(filters, "rollup_day"))) rawPart([from, to]);
  else {
    const cube = needsCube(filters, dim);
    const [dayTable, hourTable]: [RollupName, RollupName] = cube
      ? ["rollup_day", "rollup_hour"]
      : dim === "line"
        ? ["rollup_day_line", "rollup_hour_line"]
        : ["rollup_day_template", "rollup_hour_template"];
    const [withLine, withTemplate] = [cube || dim === "line", cube || dim === "template"];
    const parts = splitWindow(from, to);
    for (const span of parts.days) rollupPart(dayTable, span, withLine, withTemplate);
    for (const span of parts.hours) rollupPart(hourTable, span, withLine, withTemplate);
    for (const span of parts.raw) rawPart(span);
  }
  if (!selects.length) return [];
  const rows = sqlite
    // Phone-gram rows hold zero for the grams their failures lack: no count of zero is reported.
    .prepare(`SELECT reason, key, sum(n) AS n FROM (${selects.join(" UNION ALL ")}) GROUP BY 1, 2 HAVING sum(n) > 0`)
    .all(...params) as CountRow[];
  return rows;
}

/** Total failures in [from, to) under the filters. */
export function countTotal(sqlite: Database.Database, filters: Filters, from: number, to: number): number {
  return countBy(sqlite, filters, from, to, "line").reduce((sum, r) => sum + r.n, 0);
}
