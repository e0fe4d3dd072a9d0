import type Database from "better-sqlite3";
import type { Dialect } from "@/db/engine";
import { inSqliteSnapshot } from "@/db/snapshot";
import { all, get, perDialect, type Steps, type Value } from "@/db/steps";
import { allowedReasons, resolveWindow, type Filters } from "@/lib/filters";
import { ALL_REASONS_SKETCH } from "@/db/schema";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";
import { bucketStarts, DAY_MS, hoursAlignWithUtc, HOUR_MS, MINUTE_MS, offsetsAlignTo, QUARTER_HOUR_MS, tzOffsetMs, type BucketUnit } from "@/lib/time/zoned";
import { addToSketch, emptySketch, estimateCardinality, mergeStoredSketch } from "@/lib/hll";
import { DEFAULT_EXACT_CONTACTS_LIMIT } from "@/lib/config";
import { contactsFromState, countJudgedEach, judgingEachPays } from "./contact-state";
import { failureCounts, failureTotal, reasonsReadApart, tally, WindowEdges, type KeyedCount, type TimelineKey } from "./counts";
import { and, phoneDigits, phoneGramCounter, rawConditions, rollupConditions, rollupsCanAnswer, rollupSource, splitWindow, type RollupName } from "./failure-filter";
import { incidentConditions, incidentsAmong, searchesFewPhones } from "./incident-filter";
import { highestFailureId } from "./summary";

/**
 * Distinct contacts among failures `f` matching `where`: PostgreSQL's count(DISTINCT …) sorts its
 * input, a DISTINCT subquery may hash it (at 10M, 7 days under "resolved": 493 → 293 ms; the
 * window's every contact: 593 → 425 ms). SQLite's count(DISTINCT …) keeps an index of the values.
 */
const distinctContacts = perDialect((dialect) => (where: string) =>
  dialect.name === "sqlite"
    ? `SELECT count(DISTINCT coalesce(f.phone_e164, f.cellphone)) AS n FROM failures f WHERE ${where}`
    : `SELECT count(*) AS n FROM (SELECT DISTINCT coalesce(f.phone_e164, f.cellphone) AS contact FROM failures f WHERE ${where}) AS seen WHERE seen.contact IS NOT NULL`,
);

/** Distinct contacts (E.164, else the raw cellphone) among the filtered failures in [from, to). */
export function* contactsExactly(dialect: Dialect, filters: Filters, from: number, to: number): Steps<number> {
  const raw = rawConditions(filters, dialect);
  const row = yield* get<{ n: number }>(distinctContacts(dialect)(`f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}`), [from, to, ...raw.params]);
  return row!.n;
}

/**
 * Distinct contacts estimated from the per-reason HyperLogLog sketches: whole days and hours
 * from stored sketches, partial hours by hashing their raw contacts. Only for filters that
 * restrict nothing but reasons (sketches are kept per reason).
 */
export function* contactsEstimate(dialect: Dialect, filters: Filters, from: number, to: number): Steps<number> {
  const sketch = emptySketch();
  const reasons = allowedReasons(filters);
  // Unfiltered: the all-reasons sketch of each bucket; else the sketches of the allowed reasons.
  const cond = reasons
    ? { sql: `r.reason IN (${reasons.map(() => "?").join(", ") || "NULL"})`, params: reasons }
    : { sql: "r.reason = ?", params: [ALL_REASONS_SKETCH] };
  const parts = splitWindow(from, to);
  for (const [table, spans] of [
    ["contact_sketch_day", parts.days],
    ["contact_sketch_hour", parts.hours],
  ] as const) {
    for (const [a, b] of spans) {
      const rows = yield* all<{ registers: Buffer }>(`SELECT registers FROM ${table} r WHERE r.bucket >= ? AND r.bucket < ? AND ${cond.sql}`, [a, b, ...cond.params]);
      for (const { registers } of rows) mergeStoredSketch(sketch, registers);
    }
  }
  const raw = rawConditions(filters, dialect);
  for (const [a, b] of parts.raw) {
    const contacts = yield* all<{ contact: string }>(
      `SELECT DISTINCT coalesce(f.phone_e164, f.cellphone) AS contact FROM failures f
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} AND coalesce(f.phone_e164, f.cellphone) IS NOT NULL`,
      [a, b, ...raw.params],
    );
    for (const { contact } of contacts) addToSketch(sketch, contact);
  }
  return estimateCardinality(sketch);
}

/**
 * Affected contacts: from the per-contact state when it answers (one line, template, reason or
 * class, several lines or templates, a phone search of two digits or more, windows ending after the latest failure:
 * lib/queries/contact-state.ts); else exact for small windows or dimension filters, and a sketch
 * estimate otherwise. A one-digit phone search is exact while the window's failures (the rows it
 * reads) are few; beyond, the window's contacts (from the state, else the sketches' estimate) times
 * the share of its failures the search matches (the digit of a number says little about how often
 * it fails: within 6% at 10M, where it matches most contacts). Two digits match few enough contacts
 * for that share to mislead (+67% at 10M, 7 days of "45": a few contacts that fail often), and
 * their state lookups are cheap (60–90 ms). A status beyond the exact limit is not counted (null):
 * incidents keep no per-contact state, and the status's share of the failures missed its contacts
 * by 81% (7 days of "resolved", whose contacts fail less often than the rest's); `exact` counts it
 * (the tile's Count action: judged contact by contact where that pays, as under several lines),
 * and counts exactly where this would estimate.
 */
function* countContacts(
  dialect: Dialect,
  filters: Filters,
  from: number,
  to: number,
  total: number,
  { exactLimit = DEFAULT_EXACT_CONTACTS_LIMIT, exact = false }: { exactLimit?: number; exact?: boolean } = {},
): Steps<{ contacts: number | null; approximate: boolean }> {
  const oneDigit = phoneDigits(filters.q)?.length === 1;
  const sketchable = !filters.line.length && !filters.template.length && !filters.status.length && (!filters.q || phoneGramCounter(filters) !== null);
  // Not for a one-digit search: it matches most contacts, one state lookup each (~100 ms at 10M),
  // where the phone-gram rollups and sketches below estimate it in milliseconds. Nor for windows
  // far enough back that many contacts' latest failures passed them, where the sketches would
  // answer (at 10M, 90 days ending yesterday: 260 ms judged, 25 ms estimated).
  const fromState = oneDigit ? null : yield* contactsFromState(dialect, filters, "seen", from, to, { beyondLimit: !sketchable });
  if (fromState !== null) return { contacts: fromState, approximate: false };
  const exactly = function* () {
    return { contacts: yield* contactsExactly(dialect, filters, from, to), approximate: false };
  };
  if (filters.status.length && total > exactLimit && !exact) return { contacts: null, approximate: false };
  if (!sketchable) {
    const judged = total > exactLimit && (yield* judgingPaysForContacts(dialect, filters, from, to, total));
    return judged ? { contacts: yield* countJudgedEach(dialect, filters, "seen", from, to), approximate: false } : yield* exactly();
  }
  if (exact) return yield* exactly();
  if (!filters.q) return total <= exactLimit ? yield* exactly() : { contacts: Math.min(total, yield* contactsEstimate(dialect, filters, from, to)), approximate: true };
  // A search of one digit (or two the state did not answer: a window far back). Counted exactly it
  // reads every failure of the window, so only while those are few.
  if (total === 0) return { contacts: 0, approximate: false };
  const others = { ...filters, q: undefined };
  const windowFailures = yield* failureTotal(dialect, others, from, to);
  if (windowFailures <= exactLimit) return yield* exactly();
  const { contacts: windowContacts } = yield* countContacts(dialect, others, from, to, windowFailures, { exactLimit });
  return { contacts: Math.min(total, Math.round((windowContacts! * total) / windowFailures)), approximate: true };
}

/**
 * Whether the contacts of a view no scope holds cost less judged one by one than counted from its
 * failures. Under a status those are read by incident: the view's own. Under a line or template
 * with a reason or class SQLite's read walks an index of one dimension: at least the failures of
 * the view's lines and templates alone (at 10M, 90 days of one line's rate limits: 0.9 s counted,
 * 0.11 s judged; of one template's, 0.76 s — the read walked the reason's index — and 0.1 s);
 * PostgreSQL combines its indexes, reading the view's own. The estimate itself costs ~20 ms: not
 * made up to the exact limit.
 */
function judgingPaysForContacts(dialect: Dialect, filters: Filters, from: number, to: number, total: number): Steps<boolean> {
  const oneIndex = dialect.name === "sqlite" && !filters.status.length;
  const read = oneIndex ? () => failureTotal(dialect, { ...filters, reason: [], class: [] }, from, to) : undefined;
  return judgingEachPays(dialect, filters, "seen", from, to, total, read);
}

/**
 * The view's affected contacts counted exactly, however long that takes (within the read's
 * deadline): the overview's Count action where a refresh leaves them uncounted or estimated.
 */
export function* contactsCounted(dialect: Dialect, filters: Filters, options: { now?: number; exactContactsLimit?: number } = {}): Steps<{ contacts: number; window: { from: string; to: string } }> {
  const { from, to } = resolveWindow(filters, options.now ?? Date.now());
  const total = yield* failureTotal(dialect, filters, from, to);
  const { contacts } = yield* countContacts(dialect, filters, from, to, total, { exactLimit: options.exactContactsLimit, exact: true });
  return { contacts: contacts!, window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
}

/** Bucket size for a window: minutes up to 3 h, hours up to 8 days, days beyond. */
export function bucketUnitFor(spanMs: number): BucketUnit {
  if (spanMs <= 3 * HOUR_MS) return "minute";
  if (spanMs <= 8 * 24 * HOUR_MS) return "hour";
  return "day";
}

/** The hourly rollup that answers a timeline under these filters; null when only raw rows can. */
function hourlyTable(filters: Filters): { table: RollupName; has: { line: boolean; template: boolean } } | null {
  if (!rollupsCanAnswer(filters)) return null;
  // A status is its incident's, one per (reason, line, template): the cube's rows tell it.
  if (filters.status.length || (filters.line.length && filters.template.length)) return { table: "rollup_hour", has: { line: true, template: true } };
  if (filters.line.length) return { table: "rollup_hour_line", has: { line: true, template: false } };
  if (filters.template.length) return { table: "rollup_hour_template", has: { line: false, template: true } };
  return { table: "rollup_hour_reason", has: { line: false, template: false } };
}

/**
 * SQL that turns a UTC instant column into its local day number in `tz` (days since the epoch in
 * local wall-clock time). The zone's offset is constant between DST changes, so a short CASE over
 * the changes inside the window is exact.
 */
function localDayExpression(column: string, tz: string, starts: number[], to: number): { sql: string; params: number[] } {
  const cases: string[] = [];
  const params: number[] = [];
  let offset = tzOffsetMs(tz, starts[0]!);
  const bounds = [...starts.slice(1), to];
  let previous = starts[0]!;
  for (const bound of bounds) {
    if (tzOffsetMs(tz, bound) !== offset) {
      // The change happens on a whole hour inside [previous, bound).
      let change = previous;
      while (change < bound && tzOffsetMs(tz, change) === offset) change += HOUR_MS;
      cases.push(`WHEN ${column} < ? THEN CAST(? AS BIGINT)`);
      params.push(change, offset);
      offset = tzOffsetMs(tz, change);
    }
    previous = bound;
  }
  // Typed: PostgreSQL cannot type a bare parameter from CASE (nor SQLite care).
  const offsetSql = cases.length ? `CASE ${cases.join(" ")} ELSE CAST(? AS BIGINT) END` : "CAST(? AS BIGINT)";
  params.push(offset);
  // Bound numbers may arrive as REAL: truncate to the integer day explicitly.
  return { sql: `CAST((${column} + ${offsetSql}) / ${DAY_MS} AS INTEGER)`, params };
}

/**
 * Counts per (reason, UTC slot) with slots no longer than the smallest bucket that needs them;
 * with `localDay`, per (reason, local day) from hourly slots.
 */
function* timedCounts(dialect: Dialect, filters: Filters, edges: WindowEdges, slots: TimelineSlots): Steps<KeyedCount[]> {
  const { from, to } = edges;
  const { slotMs, localDay } = slots;
  // A phone search's breakdowns read the window's failures already, grouped this way too.
  const read = edges.wholeTimeline(dialect, filters, timelineKey(slots));
  if (read) return read;
  const hourly = hourlyTable(filters);
  const dayGroup = localDay && { ...localDay.sql("at"), of: localDay.of };
  const raw = rawConditions(filters, dialect);
  const selects: string[] = [];
  const params: Value[] = [];
  const edgeCounts: KeyedCount[] = [];
  const rawPart = (a: number, b: number) => {
    selects.push(
      `SELECT (f.occurred_at / ${slotMs}) * ${slotMs} AS at, f.reason AS reason, count(*) AS n
       FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} GROUP BY 1, 2`,
    );
    params.push(a, b, ...raw.params);
  };
  const quarters = rollupSource(filters, "rollup_quarter_reason");
  if (slotMs === QUARTER_HOUR_MS && hourly?.table === "rollup_hour_reason" && quarters) {
    // Quarter hours from their rollup, the minutes at either edge from raw rows.
    const [a, b] = [ceilTo(from, QUARTER_HOUR_MS), floorTo(to, QUARTER_HOUR_MS)];
    if (a >= b) rawPart(from, to);
    else {
      const cond = rollupConditions(filters, hourly.has, dialect);
      selects.push(`SELECT r.bucket AS at, r.reason AS reason, r.${quarters.count} AS n FROM ${quarters.table} r WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)}`);
      params.push(a, b, ...cond.params);
      if (from < a) rawPart(from, a);
      if (b < to) rawPart(b, to);
    }
  } else if (slotMs < HOUR_MS || !hourly) rawPart(from, to);
  else {
    const source = rollupSource(filters, hourly.table)!;
    const cond = rollupConditions(filters, hourly.has, dialect);
    for (const [a, b] of splitWindow(from, to, false).hours) {
      selects.push(
        `SELECT r.bucket AS at, r.reason AS reason, r.${source.count} AS n FROM ${source.table} r
         WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)}`,
      );
      params.push(a, b, ...cond.params);
    }
    // The partial hours, as the breakdowns read them (each lies in one hourly slot).
    for (const { hour, reason, n } of yield* edges.rows(dialect, filters)) edgeCounts.push({ at: dayGroup ? dayGroup.of(hour) : hour, reason, n });
  }
  if (!selects.length) return edgeCounts;
  // One GROUP BY over every part; local days are summed in SQL (90 days × reasons rows instead
  // of 2,160 hours × reasons).
  const group = dayGroup ?? { sql: "at", params: [] };
  const counted = yield* all<KeyedCount>(
    `SELECT ${group.sql} AS at, reason, sum(n) AS n FROM (${selects.join(" UNION ALL ")}) AS parts GROUP BY 1, 2 HAVING sum(n) > 0`,
    [...group.params, ...params],
  );
  return [...counted, ...edgeCounts];
}

/**
 * How a timeline reads its counts: its local bucket starts, and the UTC slot its failures are
 * counted in (no longer than the smallest bucket that needs it); `localDay` when day buckets are
 * summed from hourly slots in SQL (90 days × reasons rows instead of 2,160 hours × reasons).
 */
interface TimelineSlots {
  starts: number[];
  slotMs: number;
  localDay: { sql: (column: string) => { sql: string; params: number[] }; of: (at: number) => number } | null;
}

function timelineSlots(filters: Filters, from: number, to: number, tz: string, unit: BucketUnit): TimelineSlots {
  const starts = bucketStarts(tz, unit, from, to);
  const reasonsOnly = hourlyTable(filters)?.table === "rollup_hour_reason";
  // Hourly rollups serve hour and day buckets when local hours start on UTC hours; in zones a
  // half or three quarters of an hour off UTC, the quarter-hour reason rollup serves reason filters.
  const slotMs =
    unit === "minute" ? MINUTE_MS : hoursAlignWithUtc(tz, from, to) ? HOUR_MS : reasonsOnly && offsetsAlignTo(QUARTER_HOUR_MS, tz, from, to) ? QUARTER_HOUR_MS : MINUTE_MS;
  const localDay =
    unit === "day" && slotMs === HOUR_MS
      ? { sql: (column: string) => localDayExpression(column, tz, starts, to), of: (at: number) => Math.floor((at + tzOffsetMs(tz, at)) / DAY_MS) }
      : null;
  return { starts, slotMs, localDay };
}

/**
 * A failure's key in the timeline's counts from its occurred_at: its local day, else its slot's
 * start. (A local day computed from a failure's instant or from its hour's start is the same: the
 * zone's offset changes on whole hours.)
 */
function timelineKey({ slotMs, localDay }: TimelineSlots): TimelineKey {
  return (column) => localDay?.sql(column) ?? { sql: `(${column} / ${slotMs}) * ${slotMs}`, params: [] };
}

export interface TimelinePoint {
  /** Bucket start, ISO 8601 UTC. */
  bucket: string;
  /** Failures per reason code in the bucket (reasons with none are left out). */
  counts: Record<string, number>;
}

/** Failures per local bucket and reason; every bucket of the window is present, empty or not. */
export function* timeline(
  dialect: Dialect,
  filters: Filters,
  from: number,
  to: number,
  tz: string,
  unit: BucketUnit,
  edges = new WindowEdges(from, to),
): Steps<TimelinePoint[]> {
  const slots = timelineSlots(filters, from, to, tz, unit);
  const { starts, slotMs, localDay } = slots;
  const points: TimelinePoint[] = starts.map((s) => ({ bucket: new Date(s).toISOString(), counts: {} }));
  const days = unit === "day" ? dayRollups(filters) : null;
  // Local days start on whole UTC hours (HOUR_MS slots) or, for the reason rollups, quarter hours.
  if (days && slotMs !== MINUTE_MS && (days.quarter || slotMs === HOUR_MS) && (yield* localDaysFromDayRollups(dialect, filters, days, from, to, starts, points))) {
    return points;
  }
  if (localDay) {
    const dayIndex = new Map(starts.map((s, i) => [localDay.of(s), i]));
    for (const { at: day, reason, n } of yield* timedCounts(dialect, filters, edges, slots)) {
      const counts = points[dayIndex.get(day)!]!.counts;
      counts[reason] = (counts[reason] ?? 0) + n;
    }
    return points;
  }
  for (const { at, reason, n } of yield* timedCounts(dialect, filters, edges, slots)) {
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

type ReasonCounts = Map<string, number>;

function addCounts(into: ReasonCounts, rows: Iterable<{ reason: string; n: number }>, sign = 1): void {
  for (const { reason, n } of rows) into.set(reason, (into.get(reason) ?? 0) + sign * n);
}

/**
 * Failures per span `s(k, a, b)` and reason, each span an occurred_at range of its own
 * (failures_occurred_at_idx). SQLite's join reads it so. PostgreSQL guesses 100 rows for the JSON
 * list and, with a one-digit phone search, scanned every failure against it (4 s at 10M); counting
 * inside a LATERAL subquery (its aggregate keeps it from being flattened into the join) makes each
 * span one index range.
 */
const failuresPerSpan = perDialect((dialect) => (conditions: string) =>
  dialect.name === "sqlite"
    ? `SELECT s.k AS k, f.reason AS reason, count(*) AS n FROM s JOIN failures f ON f.occurred_at >= s.a AND f.occurred_at < s.b
       WHERE ${conditions} GROUP BY 1, 2`
    : `SELECT s.k AS k, c.reason AS reason, c.n AS n FROM s
       CROSS JOIN LATERAL (SELECT f.reason AS reason, count(*) AS n FROM failures f WHERE f.occurred_at >= s.a AND f.occurred_at < s.b AND ${conditions} GROUP BY 1) c`,
);

/** The day, hour and quarter-hour rollups a day-bucketed timeline reads under these filters. */
interface DayRollups {
  day: RollupName;
  hour: RollupName;
  /** Only reasons have quarter hours: without them local days must start on whole UTC hours. */
  quarter: RollupName | null;
  has: { line: boolean; template: boolean };
}

function dayRollups(filters: Filters): DayRollups | null {
  const hourly = hourlyTable(filters);
  if (hourly?.table === "rollup_hour_reason") return { day: "rollup_day_reason", hour: hourly.table, quarter: "rollup_quarter_reason", has: hourly.has };
  if (hourly?.table === "rollup_hour_line") return { day: "rollup_day_line", hour: hourly.table, quarter: null, has: hourly.has };
  if (hourly?.table === "rollup_hour_template") return { day: "rollup_day_template", hour: hourly.table, quarter: null, has: hourly.has };
  // A status reads the daily cube's days (as the breakdowns do) and the hourly cube's hours. A line
  // + template filter reads the hourly cube through its (line, template) index; the daily cube has
  // none, so its days would be read whole.
  if (hourly?.table === "rollup_hour" && !(filters.line.length && filters.template.length)) return { day: "rollup_day", hour: hourly.table, quarter: null, has: hourly.has };
  return null;
}

/**
 * Day buckets of the timeline from daily rollups: the count of a local day [s, e) is P(e) − P(s),
 * where P(b) (failures before instant b) is whole UTC days up to the UTC midnight nearest b, plus
 * or minus the whole hours and then quarter hours between that midnight and b (local days start
 * on quarter hours in every zone; on whole hours where the line and template rollups are read).
 * So a 90-day timeline reads ~90 daily rows and at most 12 hours and 3 quarters per day and
 * reason (and line or template), instead of 2,160 hourly rows. Fills `points` and returns true;
 * returns false when the window holds no whole quarter hour (hour without quarter rollups).
 */
function* localDaysFromDayRollups(
  dialect: Dialect,
  filters: Filters,
  rollups: DayRollups,
  from: number,
  to: number,
  starts: number[],
  points: TimelinePoint[],
): Steps<boolean> {
  const step = rollups.quarter ? QUARTER_HOUR_MS : HOUR_MS;
  const alignedStart = ceilTo(from, step);
  const alignedEnd = floorTo(to, step);
  if (alignedStart >= alignedEnd) return false;
  const cond = rollupConditions(filters, rollups.has, dialect);
  const boundaries = [alignedStart, ...starts.filter((b) => b > alignedStart && b < alignedEnd), alignedEnd];

  // Each boundary's nearest UTC midnight, and the span between them in hours and quarters.
  const anchors = boundaries.map((b) => {
    const day = floorTo(b, DAY_MS);
    if (b - day <= 12 * HOUR_MS) return { anchor: day, span: [day, b] as const, sign: 1 };
    return { anchor: day + DAY_MS, span: [b, day + DAY_MS] as const, sign: -1 };
  });
  const hours: number[][] = [];
  const quarters: number[][] = [];
  anchors.forEach(({ span: [x, y] }, k) => {
    const [h0, h1] = [ceilTo(x, HOUR_MS), floorTo(y, HOUR_MS)];
    if (h0 < h1) {
      hours.push([k, h0, h1]);
      if (x < h0) quarters.push([k, x, h0]);
      if (h1 < y) quarters.push([k, h1, y]);
    } else if (x < y) quarters.push([k, x, y]);
  });
  // Every boundary lies on a step: quarters are only needed where their rollup exists.
  const spans = new Map<RollupName, number[][]>([[rollups.hour, hours]]);
  if (rollups.quarter) spans.set(rollups.quarter, quarters);
  else if (quarters.length) return false;
  const days = rollupSource(filters, rollups.day);
  if (!days) return false;
  const firstDay = anchors[0]!.anchor;
  const lastDay = anchors.at(-1)!.anchor;
  const raw = rawConditions(filters, dialect);
  // Summed per day and reason: a phone search's daily grams are kept per line too (~10k rows over 90 days).
  const dayRows = yield* all<{ day: number; reason: string; n: number }>(
    `SELECT r.bucket AS day, r.reason AS reason, sum(r.${days.count}) AS n FROM ${days.table} r WHERE r.bucket >= ? AND r.bucket < ? AND ${and(cond.sql)} GROUP BY 1, 2 ORDER BY 1`,
    [firstDay, lastDay, ...cond.params],
  );
  // All spans of a table in one statement (spans as a JSON parameter, each a PK range). A phone
  // search has no quarter-hour rollup: its quarters are counted from raw rows (occurred_at ranges).
  // SQLite flattens the spans' subquery into the join and then parses a span's JSON again for
  // every row it groups (a 90-day phone search: 35k rows, a third of the statement's time);
  // materialized, each span is parsed once.
  const spanTable = `WITH s(k, a, b) AS ${dialect.name === "sqlite" ? "MATERIALIZED " : ""}(${dialect.jsonTuples(["integer", "integer", "integer"])})`;
  const spanRows: Array<{ k: number; reason: string; n: number }> = [];
  for (const [table, list] of spans) {
    if (!list.length) continue;
    const source = rollupSource(filters, table);
    const statement = source
      ? `SELECT s.k AS k, r.reason AS reason, sum(r.${source.count}) AS n FROM s JOIN ${source.table} r ON r.bucket >= s.a AND r.bucket < s.b
         WHERE ${and(cond.sql)} GROUP BY 1, 2`
      : failuresPerSpan(dialect)(and(raw.sql));
    spanRows.push(...(yield* all<{ k: number; reason: string; n: number }>(`${spanTable} ${statement}`, [JSON.stringify(list), ...(source ? cond.params : raw.params)])));
  }
  const spanCounts = new Map<number, Array<{ reason: string; n: number }>>();
  for (const row of spanRows) spanCounts.set(row.k, [...(spanCounts.get(row.k) ?? []), row]);

  // P(boundary) relative to the first anchor, per reason.
  const before: ReasonCounts[] = [];
  let dayIndex = 0;
  const running: ReasonCounts = new Map();
  anchors.forEach((a, k) => {
    while (dayIndex < dayRows.length && dayRows[dayIndex]!.day < a.anchor) addCounts(running, [dayRows[dayIndex++]!]);
    const p: ReasonCounts = new Map(running);
    addCounts(p, spanCounts.get(k) ?? [], a.sign);
    before.push(p);
  });
  const at = (b: number) => before[boundaries.indexOf(b)]!;

  starts.forEach((start, i) => {
    const left = Math.max(start, alignedStart);
    const right = Math.min(starts[i + 1] ?? to, alignedEnd);
    if (left >= right) return;
    const counts = new Map(at(right));
    addCounts(counts, Array.from(at(left), ([reason, n]) => ({ reason, n })), -1);
    for (const [reason, n] of counts) if (n) points[i]!.counts[reason] = (points[i]!.counts[reason] ?? 0) + n;
  });

  // Partial quarter hours at the window's edges, from raw rows, into the first and last buckets.
  const edge = `SELECT f.reason AS reason, count(*) AS n FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} GROUP BY 1`;
  for (const [a, b, i] of [
    [from, alignedStart, 0],
    [alignedEnd, to, points.length - 1],
  ] as const) {
    if (a >= b) continue;
    for (const { reason, n } of yield* all<{ reason: string; n: number }>(edge, [a, b, ...raw.params])) {
      points[i]!.counts[reason] = (points[i]!.counts[reason] ?? 0) + n;
    }
  }
  return true;
}

const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;

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
  /** Distinct contacts; null when not counted (a status over more failures than the exact limit, EXACT_CONTACTS_LIMIT). */
  contacts: number | null;
  /** True when `contacts` is an estimate (HyperLogLog sketches, or a one-digit search's share) rather than an exact count. */
  contactsApproximate: boolean;
  byReason: ReasonCount[];
  byLine: Array<{ line: string | null; count: number }>;
  byTemplate: Array<{ template: string | null; count: number }>;
  timeline: TimelinePoint[];
  bucketUnit: BucketUnit;
  window: { from: string; to: string; tz: string };
  /** Open incidents matching the filters with failures in the window (see lib/queries/incident-filter.ts). */
  openIncidents: number;
  /** Highest failure id stored: a client remembers it to count what arrives later. */
  latestFailureId: number;
  /** Failures matching the filters stored after `afterId` (any time), when asked. */
  newSinceAfterId: number | null;
}

/**
 * Open incidents as /incidents?status=open counts them for the same filters (the tile links there).
 * A phone search's failures were read once already (the breakdowns' `edges.wholeWindow`): their
 * incidents are taken from there, unless a status filter narrowed those failures to its incidents
 * (the tile counts open ones whatever the status filter).
 */
function* countOpenIncidents(dialect: Dialect, filters: Filters, edges: WindowEdges): Steps<number> {
  const searched =
    searchesFewPhones(filters) && !filters.status.length ? incidentsAmong(dialect, (yield* edges.wholeWindow(dialect, filters)).map((r) => r.incident)) : null;
  const cond = incidentConditions(filters, ["open"], { from: edges.from, to: edges.to }, null, dialect, searched);
  return (yield* get<{ n: number }>(`SELECT count(*) AS n FROM incidents i WHERE ${cond.sql}`, cond.params))!.n;
}

/**
 * Failures matching the filters whose id is above `afterId` and that occurred since the window
 * began: time-bounded like every read, so an old or zero `afterId` cannot scan all history.
 */
function* countAfter(dialect: Dialect, filters: Filters, afterId: number, from: number): Steps<number> {
  const raw = rawConditions(filters, dialect);
  return (yield* get<{ n: number }>(`SELECT count(*) AS n FROM failures f WHERE f.occurred_at >= ? AND f.id > ? AND ${and(raw.sql)}`, [from, afterId, ...raw.params]))!.n;
}

export interface StatsOptions {
  now?: number;
  defaultTz?: string;
  afterId?: number;
  /** Failures in a window up to which its contacts are counted exactly where no index answers (EXACT_CONTACTS_LIMIT). */
  exactContactsLimit?: number;
}

/** Everything the overview shows for a filter: totals, breakdowns and the timeline (run it in one snapshot). */
export function* stats(dialect: Dialect, filters: Filters, options: StatsOptions = {}): Steps<Stats> {
  const now = options.now ?? Date.now();
  const defaultTz = options.defaultTz ?? "UTC";
  const { from, to } = resolveWindow(filters, now);
  const tz = filters.tz ?? defaultTz;
  const unit = bucketUnitFor(to - from);
  // A phone search's breakdowns read the window's failures: they count its timeline in the same read.
  const edges = new WindowEdges(from, to, timelineKey(timelineSlots(filters, from, to, tz, unit)));
  // Under a line, template or status filter the lines' read counts the reasons too (no third read
  // of a rollup that filter makes larger); else they are read apart (lib/queries/counts.ts).
  const reasonsApart = reasonsReadApart(filters);
  const byLineRows = yield* failureCounts(dialect, filters, from, to, "line", edges, !reasonsApart);
  const byReasonRows = reasonsApart ? yield* failureCounts(dialect, filters, from, to, null, edges) : byLineRows;
  const byTemplateRows = yield* failureCounts(dialect, filters, from, to, "template", edges, false);
  const previousTotal = yield* failureTotal(dialect, filters, from - (to - from), from);
  const total = byReasonRows.reduce((sum, r) => sum + r.n, 0);
  const { contacts, approximate } = yield* countContacts(dialect, filters, from, to, total, { exactLimit: options.exactContactsLimit });
  return {
    total,
    previousTotal,
    changePct: previousTotal ? Math.round(((total - previousTotal) / previousTotal) * 1000) / 10 : null,
    contacts,
    contactsApproximate: approximate,
    byReason: tally(byReasonRows, (r) => r.reason).map(([reason, count]) => {
      const info = reasonInfo(reason);
      return { reason, count, label: info?.label ?? reason, reasonClass: info?.reasonClass ?? null };
    }),
    byLine: tally(byLineRows, (r) => r.key).map(([line, count]) => ({ line: line || null, count })),
    byTemplate: tally(byTemplateRows, (r) => r.key).map(([template, count]) => ({ template: template || null, count })),
    timeline: yield* timeline(dialect, filters, from, to, tz, unit, edges),
    bucketUnit: unit,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz },
    openIncidents: yield* countOpenIncidents(dialect, filters, edges),
    latestFailureId: yield* highestFailureId(),
    newSinceAfterId: options.afterId === undefined ? null : yield* countAfter(dialect, filters, options.afterId, from),
  };
}

/** stats on a SQLite connection (a read worker's), synchronously, in one snapshot. */
export function getStats(sqlite: Database.Database, filters: Filters, options: StatsOptions = {}): Stats {
  return inSqliteSnapshot(sqlite, (dialect) => stats(dialect, filters, options));
}
