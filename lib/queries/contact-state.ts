import type { Dialect } from "@/db/engine";
import { get, type Steps } from "@/db/steps";
import { UNKNOWN, type Filters } from "@/lib/filters";
import { contactScope, EVERY_SCOPE } from "@/lib/ingest/contact-state";
import { DO_NOT_CONTACT_REASONS, RETRY_REASONS } from "@/lib/reasons";
import { QUARTER_HOUR_MS } from "@/lib/time/zoned";
import { and, rawConditions } from "./failure-filter";

/**
 * Contact counts from the per-contact latest state kept at ingest (lib/ingest/contact-state.ts):
 * the quarter-hour counts for the window's whole quarters, and for the partial quarter at either
 * edge the contacts of its failures whose state falls in it (a PK lookup each).
 *
 * The state holds each contact's latest failure, so a contact whose latest is at or after the
 * window's end is not counted there; those few contacts (failures stored after the read's "now"
 * — webhooks that arrived while it waited, a sender's clock ahead — or after a window ending in
 * the recent past) are judged from their own failures inside the window, by index lookups.
 *
 * Exact under no filter, one line, one template, or one line with one template, for windows with
 * at most OVERTAKEN_FAILURES_LIMIT failures after their end. Other filters, and windows further in
 * the past, are counted from the failures as before (null here).
 */

/** What is counted: contacts seen in the window, the retry list, the suppression list. */
export type ContactCount = "seen" | "retry" | "suppress";

const list = (codes: readonly string[]) => codes.map(() => "?").join(", ");

/** The stored scope that answers these filters, or null when none does. */
function scopeOf(filters: Filters): string | null {
  if (filters.reason.length || filters.class.length || filters.status.length || filters.q) return null;
  if (filters.line.length > 1 || filters.template.length > 1) return null;
  const key = (v: string | undefined) => (v === undefined ? null : v === UNKNOWN ? "" : v);
  return contactScope(key(filters.line[0]), key(filters.template[0]));
}

/**
 * SQL: the contact (an SQL expression) has no "do not contact" failure in any scope — the retry
 * list's rule, one key lookup in the state. Binds EVERY_SCOPE.
 */
export const neverDoNotContact = (contact: string) =>
  `NOT EXISTS (SELECT 1 FROM contact_state g WHERE g.contact = ${contact} AND g.scope = ? AND g.last_dnc_at IS NOT NULL)`;

/** Failures after a window's end up to which the state answers (their contacts are judged from their failures in the window). */
export const OVERTAKEN_FAILURES_LIMIT = 10_000;

/** Whether at most `limit` failures occurred at or after `to` (an occurred_at index range). */
function* fewFailuresAfter(to: number, limit: number): Steps<boolean> {
  const after = yield* get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM failures WHERE occurred_at >= ? LIMIT ?) AS after_end`, [to, limit + 1]);
  return after!.n <= limit;
}

/**
 * Contacts counted as `kind` in [from, to) among those whose state time is at or after `to`: the
 * contacts of the failures (under the filters; "do not contact" ones for the suppression list)
 * stored from `to` on, each judged from its failures inside the window.
 */
function* countOvertaken(dialect: Dialect, filters: Filters, kind: ContactCount, from: number, to: number): Steps<number> {
  const raw = rawConditions(filters, dialect);
  const dnc = kind === "suppress" ? ` AND f.reason IN (${list(DO_NOT_CONTACT_REASONS)})` : "";
  const dncParams = kind === "suppress" ? DO_NOT_CONTACT_REASONS : [];
  const inWindow = `f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}${dnc}`;
  const inWindowParams = [from, to, ...raw.params, ...dncParams];
  // One statement, not a few per contact (round trips on PostgreSQL). CROSS JOIN keeps the few
  // overtaken contacts outermost (SQLite joins in the order written), so each contact's failures
  // are read by its E.164 phone, or by cellphone for those without one (failures_cellphone_idx).
  const row = yield* get<{ n: number }>(
    `WITH overtaken AS (
       SELECT DISTINCT coalesce(f.phone_e164, f.cellphone) AS contact FROM failures f
       WHERE f.occurred_at >= ? AND ${and(raw.sql)}${dnc} AND coalesce(f.phone_e164, f.cellphone) IS NOT NULL
     ), judged AS (
       SELECT o.contact AS contact, f.reason AS reason, f.occurred_at AS occurred, f.id AS id FROM overtaken o CROSS JOIN failures f
       WHERE f.phone_e164 = o.contact AND ${inWindow}
       UNION ALL
       SELECT o.contact, f.reason, f.occurred_at, f.id FROM overtaken o CROSS JOIN failures f
       WHERE f.phone_e164 IS NULL AND f.cellphone = o.contact AND ${inWindow}
     ), latest AS (
       SELECT contact, reason, row_number() OVER (PARTITION BY contact ORDER BY occurred DESC, id DESC) AS n FROM judged
     )
     SELECT count(*) AS n FROM latest l WHERE l.n = 1${kind === "retry" ? ` AND l.reason IN (${list(RETRY_REASONS)}) AND ${neverDoNotContact("l.contact")}` : ""}`,
    [to, ...raw.params, ...dncParams, ...inWindowParams, ...inWindowParams, ...(kind === "retry" ? [...RETRY_REASONS, EVERY_SCOPE] : [])],
  );
  return row!.n;
}

/** Contacts of one kind whose state time falls in [a, b) (within one quarter hour), via that span's failures. */
function* countEdge(dialect: Dialect, filters: Filters, scope: string, kind: ContactCount, a: number, b: number): Steps<number> {
  const raw = rawConditions(filters, dialect);
  const dnc = kind === "suppress";
  const at = dnc ? "s.last_dnc_at" : "s.last_at";
  const retry =
    kind === "retry"
      ? `AND s.last_reason IN (${list(RETRY_REASONS)})
         AND ${neverDoNotContact("s.contact")}`
      : "";
  const row = yield* get<{ n: number }>(
    `SELECT count(*) AS n FROM contact_state s
     WHERE s.contact IN (SELECT coalesce(f.phone_e164, f.cellphone) FROM failures f
                         WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}${dnc ? ` AND f.reason IN (${list(DO_NOT_CONTACT_REASONS)})` : ""})
       AND s.scope = ? AND ${at} >= ? AND ${at} < ? ${retry}`,
    [a, b, ...raw.params, ...(dnc ? DO_NOT_CONTACT_REASONS : []), scope, a, b, ...(kind === "retry" ? [...RETRY_REASONS, EVERY_SCOPE] : [])],
  );
  return row!.n;
}

/**
 * Contacts with a failure in [from, to) under the filters ("seen"), on the retry list, or on the
 * suppression list (README, "CSV export"), from the contact state; null when it cannot answer
 * exactly (see above), and the caller counts from the failures. Runs in one snapshot (a commit
 * between the statements could move a contact from a counted quarter to an edge).
 */
export function* contactsFromState(
  dialect: Dialect,
  filters: Filters,
  kind: ContactCount,
  from: number,
  to: number,
  overtakenLimit = OVERTAKEN_FAILURES_LIMIT,
): Steps<number | null> {
  const scope = scopeOf(filters);
  if (scope === null || !(yield* fewFailuresAfter(to, overtakenLimit))) return null;
  const overtaken = yield* countOvertaken(dialect, filters, kind, from, to);
  const firstQuarter = Math.ceil(from / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const lastQuarter = Math.floor(to / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  if (firstQuarter >= lastQuarter) return overtaken + (from < to ? yield* countEdge(dialect, filters, scope, kind, from, to) : 0);
  const column = kind === "suppress" ? "dnc" : kind;
  const quarters = function* (a: number, b: number): Steps<number> {
    return (yield* get<{ n: number }>(`SELECT coalesce(sum(${column}), 0) AS n FROM contact_state_quarters WHERE scope = ? AND bucket >= ? AND bucket < ?`, [scope, a, b]))!.n;
  };
  const whole = yield* quarters(firstQuarter, lastQuarter);
  /**
   * Contacts whose state time falls in [a, b), inside one quarter: from that span's failures, or,
   * when the span is the larger part of its quarter, as the quarter's count minus the rest (fewer
   * failures to judge). The quarter's count holds only when no retention cutoff lies inside it:
   * a failure stored before the quarter proves the cutoff is earlier.
   */
  const edge = function* (a: number, b: number): Steps<number> {
    const quarter = Math.floor(a / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
    const end = quarter + QUARTER_HOUR_MS;
    if (2 * (b - a) <= QUARTER_HOUR_MS || !(yield* failedBefore(quarter))) return yield* countEdge(dialect, filters, scope, kind, a, b);
    const rest = (quarter < a ? yield* countEdge(dialect, filters, scope, kind, quarter, a) : 0) + (b < end ? yield* countEdge(dialect, filters, scope, kind, b, end) : 0);
    return (yield* quarters(quarter, end)) - rest;
  };
  const head = from < firstQuarter ? yield* edge(from, firstQuarter) : 0;
  const tail = lastQuarter < to ? yield* edge(lastQuarter, to) : 0;
  return whole + head + tail + overtaken;
}

/** Whether any failure is stored before `t` (one index step). */
function* failedBefore(t: number): Steps<boolean> {
  return (yield* get<{ found: number }>("SELECT CASE WHEN EXISTS (SELECT 1 FROM failures WHERE occurred_at < ?) THEN 1 ELSE 0 END AS found", [t]))!.found === 1;
}
