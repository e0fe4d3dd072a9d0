import type { Dialect } from "@/db/engine";
import { sqliteDialect } from "@/db/sqlite/engine";
import type { Value } from "@/db/steps";
import { allowedReasons, UNKNOWN, type Filters } from "@/lib/filters";
import { gramColumn, PHONE_GRAM_MAX_DIGITS } from "@/lib/phone-grams";
import { DAY_MS, HOUR_MS } from "@/lib/time/zoned";

/**
 * SQL conditions for the non-time filters, for the raw failures table and for the rollups, in one
 * text for both engines but where `dialect` says otherwise (phone search, planner hints).
 * Values are always bound parameters.
 */
export interface Where {
  sql: string;
  params: Value[];
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
const key = (v: string) => (v === UNKNOWN ? "" : v);

/** Digits of a phone search, or null when the query has none. */
export function phoneDigits(q: string | undefined): string | null {
  const digits = q?.replace(/\D/g, "") ?? "";
  return digits.length ? digits : null;
}

/** The phone-gram counter column that counts this search's failures (one or two digits), or null. */
export function phoneGramCounter(filters: Pick<Filters, "q">): string | null {
  const digits = phoneDigits(filters.q);
  return digits && digits.length <= PHONE_GRAM_MAX_DIGITS ? gramColumn(digits) : null;
}

/**
 * Whether the rollups can answer these filters: not a phone search of three digits or more, nor
 * one of one or two digits that also narrows to incidents (the phone-gram rollups keep no cube).
 */
export function rollupsCanAnswer(filters: Filters): boolean {
  return !filters.q || (phoneGramCounter(filters) !== null && !narrowsToIncidents(filters));
}

/** A rollup table by the name the plain (unsearched) rollups have. */
export type RollupName =
  | "rollup_quarter_reason"
  | "rollup_hour_reason"
  | "rollup_day_reason"
  | "rollup_hour_line"
  | "rollup_hour_template"
  | "rollup_day_line"
  | "rollup_day_template"
  | "rollup_hour"
  | "rollup_day";

/** Where a one- or two-digit search finds what each rollup holds. */
const PHONE_GRAM_TABLES: Record<RollupName, string | null> = {
  rollup_quarter_reason: null,
  rollup_hour_reason: "phone_gram_hour_reason",
  rollup_day_reason: "phone_gram_day_reason",
  rollup_hour_line: "phone_gram_hour_line",
  rollup_hour_template: "phone_gram_hour_template",
  rollup_day_line: "phone_gram_day_line",
  rollup_day_template: "phone_gram_day_template",
  rollup_hour: null,
  rollup_day: null,
};

/**
 * The table and count column that answer `table` under these filters: the rollup itself, or for
 * a one- or two-digit phone search its phone-gram counterpart and the gram's counter; null when
 * the search has no counterpart for it (quarter hours: read raw rows instead).
 */
export function rollupSource(filters: Filters, table: RollupName): { table: string; count: string } | null {
  const counter = phoneGramCounter(filters);
  if (!counter) return { table, count: "failures" };
  const gramTable = PHONE_GRAM_TABLES[table];
  return gramTable ? { table: gramTable, count: counter } : null;
}

/**
 * Conditions on the reason, line and template columns `cols` names. A status needs `cols.incident`,
 * the rows' incident id: only the failures and the cube keep one.
 */
export function dimensionConditions(filters: Filters, cols: { reason: string; line: string; template: string; incident?: string }): Where {
  const parts: string[] = [];
  const params: Value[] = [];
  const reasons = allowedReasons(filters);
  if (reasons) {
    parts.push(reasons.length ? `${cols.reason} IN (${placeholders(reasons.length)})` : "FALSE");
    params.push(...reasons);
  }
  if (filters.line.length) {
    parts.push(`${cols.line} IN (${placeholders(filters.line.length)})`);
    params.push(...filters.line.map(key));
  }
  if (filters.template.length) {
    parts.push(`${cols.template} IN (${placeholders(filters.template.length)})`);
    params.push(...filters.template.map(key));
  }
  if (filters.status.length) {
    if (!cols.incident) throw new Error("A status filter needs the rows' incident column");
    // The EXISTS is constant, evaluated once on either engine: a status no incident has (none
    // acknowledged, say) reads no row at all. The IN's subquery is too: each row tests its id
    // against one set of integers (SQLite: an ephemeral index and a Bloom filter; PostgreSQL: a
    // hashed subplan), not its key against the incidents' index (at 10M, stats over 90 days of
    // 'resolved': 55 → 25 ms in-process).
    const statuses = placeholders(filters.status.length);
    parts.push(
      `EXISTS (SELECT 1 FROM incidents with_status WHERE with_status.status IN (${statuses}))`,
      `${cols.incident} IN (SELECT with_status.id FROM incidents with_status WHERE with_status.status IN (${statuses}))`,
    );
    params.push(...filters.status, ...filters.status);
  }
  return { sql: parts.join(" AND "), params };
}

/**
 * Whether the filters select a few incidents better than any one column does: a status, or a
 * line with a template. Their failures are then read by incident (failures_incident_idx).
 */
function narrowsToIncidents(filters: Filters): boolean {
  return filters.status.length > 0 || (filters.line.length > 0 && filters.template.length > 0);
}

/**
 * The dimension filters (a status included) as the set of incidents whose (reason, line,
 * template) they allow — a failure's incident is its (reason, line, template) — of `onlyReasons`
 * when given.
 */
export function incidentsAllowed(filters: Filters, onlyReasons?: readonly string[]): Where {
  const dims = dimensionConditions({ ...filters, status: [] }, { reason: "i.reason", line: "i.line_key", template: "i.template_key" });
  const statuses = filters.status.length ? `i.status IN (${placeholders(filters.status.length)})` : "";
  const reasons = onlyReasons ? `i.reason IN (${placeholders(onlyReasons.length)})` : "";
  return { sql: `SELECT i.id FROM incidents i WHERE ${and(dims.sql, statuses, reasons)}`, params: [...dims.params, ...filters.status, ...(onlyReasons ?? [])] };
}

function incidentIdCondition(filters: Filters): Where {
  const allowed = incidentsAllowed(filters);
  return { sql: `f.incident_id IN (${allowed.sql})`, params: allowed.params };
}

/**
 * `SELECT i.id FROM incidents i WHERE …` when the filters select their failures by incident (a
 * status, or a line with a template), else null: a newest-first page then reads each incident's
 * newest rows (failures_incident_idx) instead of sorting all of their failures in the window.
 */
export function incidentsNarrowedTo(filters: Filters): Where | null {
  return narrowsToIncidents(filters) ? incidentsAllowed(filters) : null;
}

/** Conditions on `failures f` (time excluded). */
export function rawConditions(filters: Filters, dialect: Dialect = sqliteDialect): Where {
  const dims = narrowsToIncidents(filters)
    ? incidentIdCondition(filters)
    : dimensionConditions(filters, {
        reason: "f.reason",
        line: "f.line",
        template: "f.template",
      });
  const parts = dims.sql ? [dims.sql] : [];
  const params = [...dims.params];
  const digits = phoneDigits(filters.q);
  if (filters.q && !digits) parts.push("FALSE");
  else if (digits) {
    const phone = phoneCondition(digits, dialect);
    parts.push(phone.sql);
    params.push(...phone.params);
  }
  return { sql: parts.join(" AND "), params };
}

/** A contact_phones pair's contact, as `coalesce(f.phone_e164, f.cellphone)` on its failures (the pair stores '' for no E.164). */
const PAIR_CONTACT = "coalesce(nullif(p.phone_e164, ''), p.cellphone)";

/**
 * A phone search's contacts (E.164, else the cellphone) from the pairs failures carry
 * (contact_phones), each selecting `contact` (for `IN`, which needs no DISTINCT): `matched`, the
 * contacts with a matching pair, `partly`, those that may have failures outside the search
 * (distinct: read as rows), and `lacks`, the contacts whose own number (E.164, else the cellphone)
 * lacks the digits. A contact without E.164 has one pair ('' and its cellphone); one with E.164 has
 * that number in every pair, so only a pair matched by its cellphone alone can leave another pair
 * of the contact unmatched: every contact but those `lacks` selects has all its failures in the
 * search. Digits are tested by position, cheaper than LIKE where every pair is read (fewer digits
 * than the trigram index serves, and `lacks`: contact_phones_pair_idx in order, E.164 numbers and
 * then the cellphones of pairs without one).
 */
export function searchedContacts(digits: string, dialect: Dialect): { matched: Where; partly: Where; lacks: Where } {
  const at = SPELLING[dialect.name].position;
  const pairs =
    digits.length >= PHONE_INDEX_MIN_DIGITS
      ? { sql: `p.id IN (${SPELLING[dialect.name].phonePairs})`, params: [`%${digits}%`, `%${digits}%`] }
      : { sql: `(${at("p.phone_e164")} > 0 OR ${at("p.cellphone")} > 0)`, params: [digits, digits] };
  return {
    matched: { sql: `SELECT ${PAIR_CONTACT} AS contact FROM contact_phones p WHERE ${pairs.sql}`, params: pairs.params },
    // A pair whose E.164 number lacks the digits matches by its cellphone: without the index,
    // tested so (one position test for most pairs, not two).
    partly:
      digits.length >= PHONE_INDEX_MIN_DIGITS
        ? {
            sql: `SELECT DISTINCT p.phone_e164 AS contact FROM contact_phones p WHERE ${pairs.sql} AND p.phone_e164 > '' AND ${at("p.phone_e164")} = 0`,
            params: [...pairs.params, digits],
          }
        : {
            sql: `SELECT DISTINCT p.phone_e164 AS contact FROM contact_phones p WHERE p.phone_e164 > '' AND ${at("p.phone_e164")} = 0 AND ${at("p.cellphone")} > 0`,
            params: [digits, digits],
          },
    lacks: {
      sql: `SELECT p.phone_e164 AS contact FROM contact_phones p WHERE p.phone_e164 > '' AND ${at("p.phone_e164")} = 0
            UNION ALL SELECT p.cellphone FROM contact_phones p WHERE p.phone_e164 = '' AND ${at("p.cellphone")} = 0`,
      params: [digits, digits],
    },
  };
}

/** A condition that the text in `column` lacks the digits bound after it (one parameter). */
export const lacksDigits = (column: string, dialect: Dialect) => `${SPELLING[dialect.name].position(column)} = 0`;

/** `column` in a condition the planner should not answer by its index (SQLite's unary plus). */
export const unindexed = (column: string, dialect: Dialect) => SPELLING[dialect.name].unindexed(column);

/** Digits from which the trigram index narrows a phone search (fewer match most contacts anyway). */
export const PHONE_INDEX_MIN_DIGITS = 3;

/** What each engine spells its own way in these conditions. */
const SPELLING: Record<
  Dialect["name"],
  {
    phonePairs: string;
    /** Failures whose contact is among the `pairs` (contact_phones ids), and how often the SQL reads `pairs`. */
    failuresOfPairs: (pairs: string) => { sql: string; pairsRead: number };
    unindexed: (column: string) => string;
    /** Where `?` (digits) first occurs in `column`, from 1; 0 when it does not. */
    position: (column: string) => string;
  }
> = {
  sqlite: {
    // contact_phones ids (its FTS5 trigram table's rowids) whose number or cellphone contains ? (one each).
    phonePairs: "SELECT rowid FROM contact_phones_fts WHERE phone_e164 LIKE ? UNION SELECT rowid FROM contact_phones_fts WHERE cellphone LIKE ?",
    // By number (failures_phone_idx), or by id through failures_cellphone_idx for contacts without
    // E.164: left to itself the planner reads every failure without E.164 through failures_phone_idx.
    failuresOfPairs: (pairs) => ({
      sql: `f.phone_e164 IN (SELECT p.phone_e164 FROM contact_phones p WHERE p.id IN (${pairs}) AND p.phone_e164 <> '')
        OR f.id IN (SELECT c.id FROM failures c INDEXED BY failures_cellphone_idx WHERE c.phone_e164 IS NULL
          AND c.cellphone IN (SELECT p.cellphone FROM contact_phones p WHERE p.id IN (${pairs}) AND p.phone_e164 = ''))`,
      pairsRead: 2,
    }),
    // A unary + keeps SQLite's planner off the column's index.
    unindexed: (column) => `+${column}`,
    position: (column) => `instr(${column}, ?)`,
  },
  postgres: {
    // The pg_trgm GIN indexes on both columns answer each LIKE.
    phonePairs: "SELECT id FROM contact_phones WHERE phone_e164 LIKE ? OR cellphone LIKE ?",
    // One condition on the contact (E.164, else the cellphone): an index-only range of
    // failures_contact_cover_idx per matched contact, which holds every column the counts read. A
    // busy number's 40,000 failures otherwise cost one heap page each (90 ms per count at 10M).
    // The ARRAY(subquery) is read once, and `= ANY` of it is an index condition.
    failuresOfPairs: (pairs) => ({
      sql: `coalesce(f.phone_e164, f.cellphone) = ANY(ARRAY(SELECT ${PAIR_CONTACT} FROM contact_phones p WHERE p.id IN (${pairs})))`,
      pairsRead: 1,
    }),
    unindexed: (column) => column,
    position: (column) => `strpos(${column}, ?)`,
  },
};

/**
 * A failure matches a phone search when its E.164 number or its cellphone contains the digits.
 * From 3 digits the candidates come from the trigram index over contact_phones (every distinct
 * pair failures carry) and failures are fetched by their contact (each engine's way, SPELLING);
 * the LIKE on the row keeps the answer exact.
 */
function phoneCondition(digits: string, dialect: Dialect): Where {
  const pattern = `%${digits}%`;
  const match = "(f.phone_e164 LIKE ? OR f.cellphone LIKE ?)";
  if (digits.length < PHONE_INDEX_MIN_DIGITS) return { sql: match, params: [pattern, pattern] };
  const { phonePairs, failuresOfPairs } = SPELLING[dialect.name];
  const among = failuresOfPairs(phonePairs);
  return {
    sql: `${match} AND (${among.sql})`,
    params: [pattern, pattern, ...Array.from({ length: among.pairsRead }, () => [pattern, pattern]).flat()],
  };
}

/**
 * Conditions on a rollup table aliased `r` that has the given dimension columns. Filters on a
 * dimension the table lacks must be answered elsewhere (the caller picks a table that has it).
 */
export function rollupConditions(filters: Filters, has: { line: boolean; template: boolean }, dialect: Dialect = sqliteDialect): Where {
  // The hourly cube's (line, template, bucket) index serves a line with a template; for one of
  // them alone SQLite would read every hour of that line, so it is kept to the bucket range
  // (primary key).
  const byBucket = has.line && has.template && !(filters.line.length && filters.template.length);
  const column = byBucket ? SPELLING[dialect.name].unindexed : (name: string) => name;
  return dimensionConditions(
    { ...filters, line: has.line ? filters.line : [], template: has.template ? filters.template : [], status: has.line && has.template ? filters.status : [] },
    { reason: "r.reason", line: column("r.line"), template: column("r.template"), incident: "r.incident_id" },
  );
}

export const and = (...parts: string[]) => parts.filter(Boolean).join(" AND ") || "TRUE";

export interface WindowParts {
  /** Sub-ranges read from the raw table (partial hours at the edges). */
  raw: Array<[number, number]>;
  /** Whole UTC hours read from hourly rollups. */
  hours: Array<[number, number]>;
  /** Whole UTC days read from daily rollups. */
  days: Array<[number, number]>;
}

const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;

/**
 * Splits [from, to) into whole UTC days, whole hours and partial-hour edges, so each part is
 * read from the smallest table that answers it exactly.
 */
export function splitWindow(from: number, to: number, useDays = true): WindowParts {
  const parts: WindowParts = { raw: [], hours: [], days: [] };
  const hourStart = ceilTo(from, HOUR_MS);
  const hourEnd = floorTo(to, HOUR_MS);
  if (hourStart >= hourEnd) {
    if (from < to) parts.raw.push([from, to]);
    return parts;
  }
  if (from < hourStart) parts.raw.push([from, hourStart]);
  if (hourEnd < to) parts.raw.push([hourEnd, to]);
  const dayStart = ceilTo(hourStart, DAY_MS);
  const dayEnd = floorTo(hourEnd, DAY_MS);
  if (useDays && dayStart < dayEnd) {
    parts.days.push([dayStart, dayEnd]);
    if (hourStart < dayStart) parts.hours.push([hourStart, dayStart]);
    if (dayEnd < hourEnd) parts.hours.push([dayEnd, hourEnd]);
  } else parts.hours.push([hourStart, hourEnd]);
  return parts;
}
