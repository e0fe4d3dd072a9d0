import type Database from "better-sqlite3";
import { getDb } from "@/db/client";
import { resolveWindow, type Filters } from "@/lib/filters";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";
import { bucketStarts, hoursAlignWithUtc, HOUR_MS, MINUTE_MS, type BucketUnit } from "@/lib/time/zoned";
import { and, dimensionConditions, rawConditions, rollupConditions, rollupsCanAnswer, splitWindow } from "./failure-filter";

export interface CubeRow {
  reason: string;
  line: string;
  template: string;
  n: number;
}

/**
 * Failure counts per (reason, line, template) in [from, to) under the filters: whole days and
 * hours come from the rollups, only partial-hour edges (or a phone search) touch raw rows.
 */
export function countCube(sqlite: Database.Database, filters: Filters, from: number, to: number): CubeRow[] {
  const raw = rawConditions(filters);
  const selects: string[] = [];
  const params: unknown[] = [];
  const rawPart = (a: number, b: number) => {
    selects.push(
      `SELECT f.reason AS reason, f.line AS line, f.template AS template, count(*) AS n
       FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}
       GROUP BY 1, 2, 3`,
    );
    params.push(a, b, ...raw.params);
  };
  if (!rollupsCanAnswer(filters)) rawPart(from, to);
  else {
    const parts = splitWindow(from, to);
    const cond = rollupConditions(filters, true);
    for (const [table, spans] of [
      ["rollup_day", parts.days],
      ["rollup_hour", parts.hours],
    ] as const) {
      for (const [a, b] of spans) {
        selects.push(
          `SELECT r.reason, r.line, r.template, r.failures AS n FROM ${table} r
           WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)}`,
        );
        params.push(a, b, ...cond.params);
      }
    }
    for (const [a, b] of parts.raw) rawPart(a, b);
  }
  if (!selects.length) return [];
  const sql = `SELECT reason, line, template, sum(n) AS n FROM (${selects.join(" UNION ALL ")}) GROUP BY 1, 2, 3`;
  return sqlite.prepare(sql).all(...params) as CubeRow[];
}

/** Distinct contacts (E.164, else the raw cellphone) among the filtered failures in [from, to). */
export function countContacts(sqlite: Database.Database, filters: Filters, from: number, to: number): number {
  const raw = rawConditions(filters);
  const row = sqlite
    .prepare(
      `SELECT count(DISTINCT coalesce(f.phone_e164, f.cellphone)) AS n FROM failures f
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}`,
    )
    .get(from, to, ...raw.params) as { n: number };
  return row.n;
}

/** Bucket size for a window: minutes up to 3 h, hours up to 8 days, days beyond. */
export function bucketUnitFor(spanMs: number): BucketUnit {
  if (spanMs <= 3 * HOUR_MS) return "minute";
  if (spanMs <= 8 * 24 * HOUR_MS) return "hour";
  return "day";
}

interface TimedCount {
  at: number;
  reason: string;
  n: number;
}

/** Counts per (reason, UTC slot) with slots no longer than the smallest bucket that needs them. */
function timedCounts(sqlite: Database.Database, filters: Filters, from: number, to: number, slotMs: number): TimedCount[] {
  const raw = rawConditions(filters);
  const selects: string[] = [];
  const params: unknown[] = [];
  const rawPart = (a: number, b: number) => {
    selects.push(
      `SELECT (f.occurred_at / ${slotMs}) * ${slotMs} AS at, f.reason AS reason, count(*) AS n
       FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} GROUP BY 1, 2`,
    );
    params.push(a, b, ...raw.params);
  };
  if (slotMs < HOUR_MS || !rollupsCanAnswer(filters)) rawPart(from, to);
  else {
    const parts = splitWindow(from, to, false);
    const needsCube = filters.line.length > 0 || filters.template.length > 0 || filters.status.length > 0;
    const table = needsCube ? "rollup_hour" : "rollup_hour_reason";
    const cond = rollupConditions(filters, needsCube);
    for (const [a, b] of parts.hours) {
      selects.push(
        `SELECT r.bucket AS at, r.reason AS reason, sum(r.failures) AS n FROM ${table} r
         WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)} GROUP BY 1, 2`,
      );
      params.push(a, b, ...cond.params);
    }
    for (const [a, b] of parts.raw) rawPart(a, b);
  }
  return sqlite.prepare(selects.join(" UNION ALL ")).all(...params) as TimedCount[];
}

export interface TimelinePoint {
  /** Bucket start, ISO 8601 UTC. */
  bucket: string;
  /** Failures per reason code in the bucket (reasons with none are left out). */
  counts: Record<string, number>;
}

/** Failures per local bucket and reason; every bucket of the window is present, empty or not. */
export function timeline(
  sqlite: Database.Database,
  filters: Filters,
  from: number,
  to: number,
  tz: string,
  unit: BucketUnit,
): TimelinePoint[] {
  const starts = bucketStarts(tz, unit, from, to);
  // Hourly rollups serve hour and day buckets when local hours start on UTC hours.
  const slotMs = unit !== "minute" && hoursAlignWithUtc(tz, from, to) ? HOUR_MS : MINUTE_MS;
  const points: TimelinePoint[] = starts.map((s) => ({ bucket: new Date(s).toISOString(), counts: {} }));
  for (const { at, reason, n } of timedCounts(sqlite, filters, from, to, slotMs)) {
    // Binary search: the last bucket starting at or before `at`.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    const counts = points[lo]!.counts;
    counts[reason] = (counts[reason] ?? 0) + n;
  }
  return points;
}

export interface NamedCount {
  count: number;
}
export interface ReasonCount extends NamedCount {
  reason: string;
  label: string;
  reasonClass: ReasonClass | null;
}

export interface Stats {
  total: number;
  previousTotal: number;
  /** Percent change against the previous window of equal length; null when it had none. */
  changePct: number | null;
  contacts: number;
  byReason: ReasonCount[];
  byLine: Array<{ line: string | null; count: number }>;
  byTemplate: Array<{ template: string | null; count: number }>;
  timeline: TimelinePoint[];
  bucketUnit: BucketUnit;
  window: { from: string; to: string; tz: string };
  /** Open incidents matching the reason/line/template/status filters, seen in the window. */
  openIncidents: number;
  /** Highest failure id stored: a client remembers it to count what arrives later. */
  latestFailureId: number;
  /** Failures matching the filters stored after `afterId` (any time), when asked. */
  newSinceAfterId: number | null;
}

function tally<K extends string>(rows: CubeRow[], pick: (r: CubeRow) => K): Array<[K, number]> {
  const totals = new Map<K, number>();
  for (const r of rows) totals.set(pick(r), (totals.get(pick(r)) ?? 0) + r.n);
  return [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function countOpenIncidents(sqlite: Database.Database, filters: Filters, from: number): number {
  const cond = dimensionConditions({ ...filters, status: [] }, { reason: "i.reason", line: "i.line_key", template: "i.template_key" });
  const row = sqlite
    .prepare(`SELECT count(*) AS n FROM incidents i WHERE i.status = 'open' AND i.last_seen >= ? AND ${and(cond.sql)}`)
    .get(from, ...cond.params) as { n: number };
  return row.n;
}

/** Failures matching the filters (time aside) whose id is above `afterId`. */
function countAfter(sqlite: Database.Database, filters: Filters, afterId: number): number {
  const raw = rawConditions(filters);
  return (sqlite.prepare(`SELECT count(*) AS n FROM failures f WHERE f.id > ? AND ${and(raw.sql)}`).get(afterId, ...raw.params) as { n: number }).n;
}

/** Everything the overview shows for a filter: totals, breakdowns and the timeline. */
export function getStats(filters: Filters, options: { now?: number; defaultTz?: string; afterId?: number } = {}): Stats {
  const now = options.now ?? Date.now();
  const defaultTz = options.defaultTz ?? "UTC";
  const { sqlite } = getDb();
  const { from, to } = resolveWindow(filters, now);
  const tz = filters.tz ?? defaultTz;
  const rows = countCube(sqlite, filters, from, to);
  const previousTotal = countCube(sqlite, filters, from - (to - from), from).reduce((sum, r) => sum + r.n, 0);
  const total = rows.reduce((sum, r) => sum + r.n, 0);
  const unit = bucketUnitFor(to - from);
  return {
    total,
    previousTotal,
    changePct: previousTotal ? Math.round(((total - previousTotal) / previousTotal) * 1000) / 10 : null,
    contacts: countContacts(sqlite, filters, from, to),
    byReason: tally(rows, (r) => r.reason).map(([reason, count]) => {
      const info = reasonInfo(reason);
      return { reason, count, label: info?.label ?? reason, reasonClass: info?.reasonClass ?? null };
    }),
    byLine: tally(rows, (r) => r.line).map(([line, count]) => ({ line: line || null, count })),
    byTemplate: tally(rows, (r) => r.template).map(([template, count]) => ({ template: template || null, count })),
    timeline: timeline(sqlite, filters, from, to, tz, unit),
    bucketUnit: unit,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz },
    openIncidents: countOpenIncidents(sqlite, filters, from),
    latestFailureId: (sqlite.prepare("SELECT coalesce(max(id), 0) AS id FROM failures").get() as { id: number }).id,
    newSinceAfterId: options.afterId === undefined ? null : countAfter(sqlite, filters, options.afterId),
  };
}
