import type Database from "better-sqlite3";
import type { Dialect } from "@/db/engine";
import { inSqliteSnapshot } from "@/db/snapshot";
import { all, get, type Steps, type Value } from "@/db/steps";
import type { Filters } from "@/lib/filters";
import { HOUR_MS } from "@/lib/time/zoned";
import { incidentsAmong } from "./incident-filter";
import { and, rawConditions, rollupConditions, rollupsCanAnswer, rollupSource, splitWindow, type RollupName } from "./failure-filter";

/**
 * Failure counts for a window under the filters, read from the smallest pre-aggregate that
 * answers them exactly (see db/schema.ts); only partial hours at the edges touch raw rows.
 * Written once as steps (db/steps.ts) for both engines: `failureTotal` and `failureCounts` run
 * on an engine (db/snapshot.ts) or synchronously on a SQLite connection (`countBy`).
 */

/** The dimension counts are broken down by, beside the reason. */
export type CountDimension = "line" | "template";

export interface CountRow {
  reason: string;
  /** The line or template ("" = unknown). */
  key: string;
  n: number;
}

/** Failures with the same reason, line and template ("" = unknown, or not asked). */
interface KeyCount {
  reason: string;
  line: string;
  template: string;
  n: number;
}

/** Failures of one partial hour at a window's edge with the same reason, line and template. */
export interface EdgeRow {
  /** Start of the UTC hour the edge lies in. */
  hour: number;
  reason: string;
  line: string;
  template: string;
  n: number;
}

/** Failures of a whole window of one incident (its reason, line and template). */
export interface WindowRow extends Omit<EdgeRow, "hour"> {
  incident: number;
}

/** Failures with the same timeline key (see TimelineKey) and reason. */
export interface KeyedCount {
  at: number;
  reason: string;
  n: number;
}

/** SQL of a failure's timeline key (its slot start, or its local day) from its occurred_at column. */
export type TimelineKey = (column: string) => { sql: string; params: Value[] };

/**
 * The failures of a window's partial hours (splitWindow's raw spans) per reason, line and
 * template, read once per filter: the breakdowns and the timeline of one answer share them (and,
 * for filters no rollup answers, the whole window's: `wholeWindow`).
 * Reading those rows is most of a refreshed overview's cost (whole hours come from rollups), so
 * a partial hour longer than its rest is counted as the hour's reason × line × template rollup
 * minus that rest: at most half an hour of raw rows per edge. The hour's rollup and its raw rows
 * must agree: `rows` runs in one snapshot (countBy's transaction, db/snapshot.ts on an engine).
 */
export class WindowEdges {
  private readonly read = new Map<string, EdgeRow[]>();
  private readonly cube = new Map<string, KeyCount[]>();
  private readonly whole = new Map<string, { rows: WindowRow[]; timeline: KeyedCount[] | null }>();
  readonly spans: Array<[number, number]>;

  /**
   * `timelineKey`: the answer's timeline will read the same failures per reason and that key
   * when no rollup answers its filters; `wholeWindow` then counts them that way too.
   */
  constructor(
    readonly from: number,
    readonly to: number,
    private readonly timelineKey?: TimelineKey,
  ) {
    // A window shorter than an hour may cross one boundary: each span here lies in one hour.
    this.spans = splitWindow(from, to).raw.flatMap(([a, b]): Array<[number, number]> => {
      const boundary = Math.floor(a / HOUR_MS) * HOUR_MS + HOUR_MS;
      return boundary < b ? [[a, boundary], [boundary, b]] : [[a, b]];
    });
  }

  /**
   * The whole window's failures per reason, line, template and incident from raw rows, for filters
   * the rollups cannot answer (a phone search): read once, for the line and the template
   * breakdowns and the open incidents of one answer, and with a `timelineKey` for its timeline
   * (`wholeTimeline`), so the failures are read once for both.
   */
  *wholeWindow(dialect: Dialect, filters: Filters): Steps<WindowRow[]> {
    return (yield* this.readWhole(dialect, filters)).rows;
  }

  /**
   * The timeline's counts per key and reason from `wholeWindow`'s read of these filters, when
   * that read was made and grouped by this `key`; null otherwise (the caller reads them itself).
   */
  wholeTimeline(dialect: Dialect, filters: Filters, key: TimelineKey): KeyedCount[] | null {
    if (!this.timelineKey || keyText(key) !== keyText(this.timelineKey)) return null;
    return this.whole.get(JSON.stringify(rawConditions(filters, dialect)))?.timeline ?? null;
  }

  private *readWhole(dialect: Dialect, filters: Filters): Steps<{ rows: WindowRow[]; timeline: KeyedCount[] | null }> {
    const raw = rawConditions(filters, dialect);
    const cacheKey = JSON.stringify(raw);
    const known = this.whole.get(cacheKey);
    if (known) return known;
    // One GROUP BY with the timeline's key too (a few thousand groups for 43,000 failures over 90
    // days), summed both ways here: cheaper than grouping a materialized CTE twice. By incident,
    // whose key is the failure's (reason, line, template): a phone search then reads only
    // columns its index holds (failures_phone_idx; failures_contact_cover_idx on PostgreSQL).
    // The incidents' keys are read once each, not joined to every (incident, key) group.
    const key = this.timelineKey?.("f.occurred_at") ?? { sql: "0", params: [] };
    const grouped = yield* all<{ incident: number; at: number; n: number }>(
      `SELECT f.incident_id AS incident, ${key.sql} AS at, count(*) AS n FROM failures f
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} GROUP BY 1, 2`,
      [...key.params, this.from, this.to, ...raw.params],
    );
    const perIncident = new Map<number, number>();
    for (const { incident, n } of grouped) perIncident.set(incident, (perIncident.get(incident) ?? 0) + n);
    const among = incidentsAmong(dialect, perIncident.keys());
    const incidents = yield* all<{ id: number; reason: string; line: string; template: string }>(
      `SELECT i.id AS id, i.reason AS reason, i.line_key AS line, i.template_key AS template FROM incidents i WHERE ${among.sql}`,
      among.params,
    );
    const rows = new Map(incidents.map(({ id, reason, line, template }): [number, WindowRow] => [id, { reason, line, template, incident: id, n: perIncident.get(id)! }]));
    const counts = new Map<string, KeyedCount>();
    if (this.timelineKey) {
      for (const { incident, at, n } of grouped) {
        const { reason } = rows.get(incident)!;
        const countKey = `${at}\u0000${reason}`;
        const count = counts.get(countKey);
        if (count) count.n += n;
        else counts.set(countKey, { at, reason, n });
      }
    }
    const read = { rows: [...rows.values()], timeline: this.timelineKey ? [...counts.values()] : null };
    this.whole.set(cacheKey, read);
    return read;
  }

  /**
   * The window's whole days and hours from the reason × line × template rollups under these
   * filters, per (reason, line, template): read once for every breakdown of one answer (at 10M,
   * 90 days: 43,000 daily rows, each tested against a status's incidents), so lines, templates and
   * reasons are summed from one.
   */
  *cubeCounts(dialect: Dialect, filters: Filters): Steps<KeyCount[]> {
    const key = JSON.stringify(rawConditions(filters, dialect));
    const known = this.cube.get(key);
    if (known) return known;
    const rows = yield* rollupCounts(dialect, filters, this.from, this.to, ["line", "template"], ["rollup_day", "rollup_hour"]);
    this.cube.set(key, rows);
    return rows;
  }

  *rows(dialect: Dialect, filters: Filters): Steps<EdgeRow[]> {
    const raw = rawConditions(filters, dialect);
    const key = JSON.stringify(raw);
    const known = this.read.get(key);
    if (known) return known;
    const grouped = `SELECT f.reason AS reason, f.line AS line, f.template AS template, count(*) AS n FROM failures f
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} GROUP BY 1, 2, 3`;
    const spanRows = (a: number, b: number) => all<Omit<EdgeRow, "hour">>(grouped, [a, b, ...raw.params]);
    const rows: EdgeRow[] = [];
    for (const [a, b] of this.spans) {
      const hour = Math.floor(a / HOUR_MS) * HOUR_MS;
      const rest: Array<[number, number]> = [
        [hour, a],
        [b, hour + HOUR_MS],
      ];
      const restMs = rest.reduce((sum, [x, y]) => sum + Math.max(0, y - x), 0);
      const counted = b - a > restMs ? yield* this.hourMinusRest(dialect, filters, hour, rest, spanRows) : null;
      for (const r of counted ?? (yield* spanRows(a, b))) rows.push({ ...r, hour });
    }
    this.read.set(key, rows);
    return rows;
  }

  /**
   * The hour's counts from the reason × line × template rollup minus the `rest` spans' raw rows;
   * null when the rollup cannot answer these filters or does not hold the hour's failures (a
   * retention cutoff inside it).
   */
  private *hourMinusRest(
    dialect: Dialect,
    filters: Filters,
    hour: number,
    rest: Array<[number, number]>,
    spanRows: (a: number, b: number) => Steps<Array<Omit<EdgeRow, "hour">>>,
  ): Steps<Array<Omit<EdgeRow, "hour">> | null> {
    if (!rollupsCanAnswer(filters) || !rollupSource(filters, "rollup_hour")) return null;
    const stored = yield* get<{ n: number }>("SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?", [hour, hour + HOUR_MS]);
    const rolled = yield* get<{ n: number }>("SELECT coalesce(sum(failures), 0) AS n FROM rollup_hour WHERE bucket = ?", [hour]);
    if (stored!.n !== rolled!.n) return null;
    const cond = rollupConditions(filters, { line: true, template: true }, dialect);
    const cube = yield* all<Omit<EdgeRow, "hour">>(
      `SELECT r.reason AS reason, r.line AS line, r.template AS template, r.failures AS n FROM rollup_hour r WHERE r.bucket = ? AND ${and(cond.sql)}`,
      [hour, ...cond.params],
    );
    const keyOf = (r: Omit<EdgeRow, "hour">) => `${r.reason}\u0000${r.line}\u0000${r.template}`;
    const counts = new Map(cube.map((r) => [keyOf(r), { ...r }]));
    for (const [x, y] of rest) {
      if (x >= y) continue;
      for (const r of yield* spanRows(x, y)) {
        const counted = counts.get(keyOf(r));
        if (!counted) return null;
        counted.n -= r.n;
      }
    }
    return [...counts.values()].filter((r) => r.n > 0);
  }
}

/** A timeline key's SQL and parameters as text, to tell whether two keys group alike. */
function keyText(key: TimelineKey): string {
  return JSON.stringify(key("occurred_at"));
}

/**
 * The daily and hourly rollups that count these filters broken down by `dim` (null: a total), or
 * null when only raw rows can (a phone search the rollups cannot answer, or a phone-gram search
 * that needs the reason × line × template cube, which keeps no grams).
 */
function rollupsFor(filters: Filters, dim: CountDimension | null): [RollupName, RollupName] | null {
  if (!rollupsCanAnswer(filters)) return null;
  const byLine = dim === "line" || filters.line.length > 0;
  const byTemplate = dim === "template" || filters.template.length > 0;
  if (filters.status.length || (byLine && byTemplate)) return rollupSource(filters, "rollup_day") ? ["rollup_day", "rollup_hour"] : null;
  if (byLine) return ["rollup_day_line", "rollup_hour_line"];
  if (byTemplate) return ["rollup_day_template", "rollup_hour_template"];
  return ["rollup_day_reason", "rollup_hour_reason"];
}

/** The whole days and hours of [from, to) from `tables`, per reason and `dims` ("" for those not asked). */
function* rollupCounts(
  dialect: Dialect,
  filters: Filters,
  from: number,
  to: number,
  dims: readonly CountDimension[],
  tables: [RollupName, RollupName],
  perReason = true,
): Steps<KeyCount[]> {
  const has = { line: tables[0] === "rollup_day" || tables[0] === "rollup_day_line", template: tables[0] === "rollup_day" || tables[0] === "rollup_day_template" };
  const cond = rollupConditions(filters, has, dialect);
  const column = (dim: CountDimension) => (dims.includes(dim) ? `r.${dim}` : "''");
  const reason = perReason ? "r.reason" : "''";
  // Only the columns that vary: SQLite sorts a constant GROUP BY term like any other.
  const groupBy = [...(perReason ? ["r.reason"] : []), ...dims.map((dim) => `r.${dim}`)].join(", ");
  const selects: string[] = [];
  const params: Value[] = [];
  const parts = splitWindow(from, to);
  for (const [table, spans] of [
    [tables[0], parts.days],
    [tables[1], parts.hours],
  ] as const) {
    // Whenever rollupsCanAnswer, every table read here but the cube has a phone-gram counterpart.
    const source = rollupSource(filters, table)!;
    for (const [a, b] of spans) {
      selects.push(
        `SELECT ${reason} AS reason, ${column("line")} AS line, ${column("template")} AS template, sum(r.${source.count}) AS n FROM ${source.table} r
         WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)}${groupBy ? ` GROUP BY ${groupBy}` : ""}`,
      );
      params.push(a, b, ...cond.params);
    }
  }
  if (!selects.length) return [];
  return yield* all<KeyCount>(`SELECT reason, line, template, sum(n) AS n FROM (${selects.join(" UNION ALL ")}) AS spans GROUP BY 1, 2, 3`, params);
}

/**
 * Whether the reasons under these filters are counted from the small reason rollup (no line,
 * template or status filter): then they are worth a read of their own, and the lines' and
 * templates' reads can group by their key alone (`failureCounts`' `perReason`).
 */
export function reasonsReadApart(filters: Filters): boolean {
  return !filters.line.length && !filters.template.length && !filters.status.length;
}

/**
 * Failure counts per (reason, line) or (reason, template) in [from, to), or per reason alone
 * (`dim` null; key ""). `edges` (of the same window) lets several counts of one answer read the
 * partial hours once. Without `perReason` the counts are per line or template only (reason ""):
 * a 90-day read of a day rollup costs mostly the sort of its GROUP BY, and one text column sorts
 * in about half the time of two; ask the reasons of the window apart (`dim` null reads the small
 * reason rollup).
 */
export function* failureCounts(
  dialect: Dialect,
  filters: Filters,
  from: number,
  to: number,
  dim: CountDimension | null,
  edges = new WindowEdges(from, to),
  perReason = true,
): Steps<CountRow[]> {
  const tables = rollupsFor(filters, dim);
  const totals = new Map<string, CountRow>();
  const add = (rowReason: string, key: string, n: number) => {
    const reason = perReason ? rowReason : "";
    const id = `${reason}\u0000${key}`;
    const row = totals.get(id);
    if (row) row.n += n;
    else totals.set(id, { reason, key, n });
  };
  if (!tables) {
    for (const r of yield* edges.wholeWindow(dialect, filters)) add(r.reason, dim ? r[dim] : "", r.n);
    return [...totals.values()];
  }
  const whole = tables[0] === "rollup_day" ? yield* edges.cubeCounts(dialect, filters) : yield* rollupCounts(dialect, filters, from, to, dim ? [dim] : [], tables, perReason);
  for (const r of whole) add(r.reason, dim ? r[dim] : "", r.n);
  for (const r of yield* edges.rows(dialect, filters)) add(r.reason, dim ? r[dim] : "", r.n);
  // Phone-gram rows hold zero for the grams their failures lack: no count of zero is reported.
  return [...totals.values()].filter((r) => r.n > 0);
}

/** Total failures in [from, to) under the filters (the partial hours counted, not grouped). */
export function* failureTotal(dialect: Dialect, filters: Filters, from: number, to: number): Steps<number> {
  const tables = rollupsFor(filters, null);
  const raw = rawConditions(filters, dialect);
  const count = function* (a: number, b: number): Steps<number> {
    const row = yield* get<{ n: number }>(`SELECT count(*) AS n FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}`, [a, b, ...raw.params]);
    return row!.n;
  };
  if (!tables) return yield* count(from, to);
  let total = 0;
  for (const r of yield* rollupCounts(dialect, filters, from, to, [], tables, false)) total += r.n;
  for (const [a, b] of splitWindow(from, to).raw) total += yield* count(a, b);
  return total;
}

/** failureCounts on a SQLite connection, synchronously, in one snapshot. */
export function countBy(sqlite: Database.Database, filters: Filters, from: number, to: number, dim: CountDimension, edges = new WindowEdges(from, to)): CountRow[] {
  return inSqliteSnapshot(sqlite, (dialect) => failureCounts(dialect, filters, from, to, dim, edges));
}

/** Counts summed by `pick`, largest first, ties by name (so both engines list them alike). */
export function tally<K extends string>(rows: CountRow[], pick: (r: CountRow) => K): Array<[K, number]> {
  const totals = new Map<K, number>();
  for (const r of rows) totals.set(pick(r), (totals.get(pick(r)) ?? 0) + r.n);
  return [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
