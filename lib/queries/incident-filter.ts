import type { Dialect } from "@/db/engine";
import { sqliteDialect } from "@/db/sqlite/engine";
import { all, type Steps, type Value } from "@/db/steps";
import type { Filters } from "@/lib/filters";
import type { IncidentStatus } from "@/lib/incidents/statuses";
import { and, dimensionConditions, phoneDigits, PHONE_INDEX_MIN_DIGITS, rawConditions, type Where } from "./failure-filter";

/** What /incidents shows when the URL names no status: "Needs attention" (open, incl. regressed and escalating). */
export const DEFAULT_INCIDENT_STATUSES: readonly IncidentStatus[] = ["open"];

/** The statuses a filter selects, with the incidents default when it names none. */
export function incidentStatuses(filters: Pick<Filters, "status">): readonly IncidentStatus[] {
  return filters.status.length ? filters.status : DEFAULT_INCIDENT_STATUSES;
}

/**
 * Conditions on `incidents i` for the shared filters. An incident matches when
 * - its reason is allowed by `reason` and `class` (intersection when both are given),
 * - its line and template are among `line` / `template` ("(unknown)" = a missing one),
 * - its status is among `statuses`,
 * - with `assignee`, it is assigned to `viewerId` (`me`), to nobody (`none`) or to that user id, and
 * - at least one of its failures occurred in [from, to) and, with `q`, that failure's contact
 *   matches the phone search.
 * The time condition counts real failures (index failures_incident_idx), not first/last seen, so
 * an incident quiet throughout the window does not match even if it was seen before and after it.
 * The list, bulk actions by filter and the overview's "Open incidents" tile all use this.
 */
export function incidentConditions(
  filters: Filters,
  statuses: readonly IncidentStatus[],
  window: { from: number; to: number },
  viewerId: string | null = null,
  dialect: Dialect = sqliteDialect,
  searched: SearchedIncidents | null = null,
): Where {
  const dims = dimensionConditions({ ...filters, status: [] }, { reason: "i.reason", line: "i.line_key", template: "i.template_key" });
  const assignee = assigneeCondition(filters.assignee, viewerId);
  const inWindow = searched ?? windowCondition(filters, window, dialect);
  const sql = and(dims.sql, `i.status IN (${statuses.map(() => "?").join(", ")})`, ...assignee.sql, inWindow.sql);
  return { sql, params: [...dims.params, ...statuses, ...assignee.params, ...inWindow.params] };
}

/**
 * Keeps PostgreSQL's EXISTS a subplan, each incident probing its own failures in the window by
 * index. Pulled up into a join, a prepared statement's generic plan guesses a window holds 0.5% of
 * the failures and hashes every one of them (1M failures, 90 days: 0.72 s against 8–13 ms).
 */
const subplanFence = (dialect: Dialect) => (dialect.name === "postgres" ? " OFFSET 0" : "");

/** An incident has a failure in the window (that, with `q`, matches the phone search). */
function windowCondition(filters: Filters, window: { from: number; to: number }, dialect: Dialect): Where {
  const phone = rawConditions({ ...filters, reason: [], class: [], line: [], template: [], status: [] }, dialect);
  return {
    sql: searchesFewPhones(filters)
      ? // The phone index finds the few matching failures once; probing it per incident would not.
        `i.id IN (SELECT f.incident_id FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(phone.sql)})`
      : `EXISTS (SELECT 1 FROM failures f WHERE f.incident_id = i.id AND f.occurred_at >= ? AND f.occurred_at < ? AND ${and(phone.sql)}${subplanFence(dialect)})`,
    params: [window.from, window.to, ...phone.params],
  };
}

/** The incidents a phone search's failures in the window belong to, as a condition on `i.id`. */
export type SearchedIncidents = Where;

/**
 * For a phone search the trigram index narrows: the incidents of its failures in the window, read
 * once, so that the several statements of one answer (a list's page, total and tab counts) look
 * them up by id instead of each reading the matched failures again (a busy number's 40,000
 * failures: some 90 ms a read on SQLite at 10M). Null for other filters (incidentConditions then
 * probes each incident's failures in the window).
 */
export function* searchedIncidents(dialect: Dialect, filters: Filters, window: { from: number; to: number }): Steps<SearchedIncidents | null> {
  if (!searchesFewPhones(filters)) return null;
  const matched = windowCondition(filters, window, dialect);
  const ids = yield* all<{ id: number }>(`SELECT i.id AS id FROM incidents i WHERE ${matched.sql}`, matched.params);
  return incidentsAmong(dialect, ids.map((r) => r.id));
}

/** The incidents among `ids` (those of a search's failures, already read), as SearchedIncidents. */
export function incidentsAmong(dialect: Dialect, ids: Iterable<number>): SearchedIncidents {
  return { sql: `i.id IN ${dialect.jsonArrayValues("integer")}`, params: [JSON.stringify([...new Set(ids)])] };
}

/** A phone search the trigram index narrows (lib/queries/failure-filter.ts). */
export function searchesFewPhones(filters: Filters): boolean {
  return (phoneDigits(filters.q)?.length ?? 0) >= PHONE_INDEX_MIN_DIGITS;
}

/** `assignee=me|none|<user id>`; `me` without a known viewer matches nothing. */
function assigneeCondition(assignee: string | undefined, viewerId: string | null): { sql: string[]; params: Value[] } {
  if (!assignee) return { sql: [], params: [] };
  if (assignee === "none") return { sql: ["i.assignee_id IS NULL"], params: [] };
  return { sql: ["i.assignee_id = ?"], params: [assignee === "me" ? viewerId : assignee] };
}
