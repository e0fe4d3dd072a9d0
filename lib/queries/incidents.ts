import { z } from "zod";
import type { Dialect } from "@/db/engine";
import { all, get, type Steps, type Value } from "@/db/steps";
import { resolveWindow, type Filters } from "@/lib/filters";
import { NotFoundError } from "@/lib/http/errors";
import { ASSIGNED_TO_ME_STATUSES, INCIDENT_STATUSES, type IncidentStatus } from "@/lib/incidents/statuses";
import type { INCIDENT_TRANSITIONS } from "@/lib/incidents/transitions";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";
import { parseInput } from "@/lib/validate";
import { incidentConditions, incidentStatuses, searchedIncidents, type SearchedIncidents } from "./incident-filter";
import type { IncidentPage, IncidentSort } from "./incident-page";
import { decodeCursor, keysetPage } from "./cursor";

/** An incident as the API and the UI see it. Times are ISO 8601 UTC; unknown line/template are null. */
export interface IncidentItem {
  id: number;
  reason: string;
  reasonLabel: string;
  reasonClass: ReasonClass | null;
  line: string | null;
  template: string | null;
  status: IncidentStatus;
  regressed: boolean;
  /** Failures in the incident, all time. */
  count: number;
  /** Distinct contacts among them. */
  contacts: number;
  firstSeen: string;
  lastSeen: string;
  /** Failures received since it was acknowledged (while it stays acknowledged). */
  newSinceAck: number;
  reopenedCount: number;
  /** The latest acknowledgement and resolution; kept after a reopen as its history. */
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** The latest resolution's note. */
  note: string | null;
  /** What wakes it while snoozed; null otherwise. */
  snooze: { until: string | null; failuresLeft: number | null; untilEscalating: boolean } | null;
  assignee: { id: string; email: string; name: string } | null;
  /** Its current hour's failures are far above its usual rate (lib/incidents/escalation.ts). */
  escalating: boolean;
  escalatingSince: string | null;
}

/** A row of `incidents` as SQLite returns it (`SELECT *` / `RETURNING *`). */
export interface IncidentRow {
  id: number;
  reason: string;
  line_key: string;
  template_key: string;
  status: IncidentStatus;
  regressed: number;
  first_seen: number;
  last_seen: number;
  failures: number;
  contacts: number;
  new_since_ack: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  note: string | null;
  reopened_count: number;
  updated_at: number;
  snooze_until: number | null;
  snooze_failures_left: number | null;
  snooze_until_escalating: number;
  assignee_id: string | null;
  escalating: number;
  escalating_since: number | null;
  escalating_hour: number | null;
  hour_bucket: number | null;
  hour_failures: number;
  hour_threshold: number | null;
  /** Joined from users (see INCIDENT_SELECT). */
  assignee_email: string | null;
  assignee_name: string | null;
}

/** Every incident column plus its assignee's address and name; `i` is incidents, `u` users. */
export const INCIDENT_SELECT = "SELECT i.*, u.email AS assignee_email, u.name AS assignee_name FROM incidents i LEFT JOIN users u ON u.id = i.assignee_id";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toIncidentItem(r: IncidentRow): IncidentItem {
  const info = reasonInfo(r.reason);
  return {
    id: r.id,
    reason: r.reason,
    reasonLabel: info?.label ?? r.reason,
    reasonClass: info?.reasonClass ?? null,
    line: r.line_key || null,
    template: r.template_key || null,
    status: r.status,
    regressed: r.regressed === 1,
    count: r.failures,
    contacts: r.contacts,
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
    newSinceAck: r.new_since_ack,
    reopenedCount: r.reopened_count,
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by,
    note: r.note,
    snooze:
      r.status === "snoozed"
        ? { until: iso(r.snooze_until), failuresLeft: r.snooze_failures_left, untilEscalating: r.snooze_until_escalating === 1 }
        : null,
    assignee: r.assignee_id && r.assignee_email !== null ? { id: r.assignee_id, email: r.assignee_email, name: r.assignee_name ?? r.assignee_email } : null,
    escalating: r.escalating === 1,
    escalatingSince: r.escalating === 1 ? iso(r.escalating_since) : null,
  };
}

/** The incident row (with its assignee) by id, or undefined. */
export function incidentRow(id: number): Steps<IncidentRow | undefined> {
  return get<IncidentRow>(`${INCIDENT_SELECT} WHERE i.id = ?`, [id]);
}

const SORT_COLUMN: Record<IncidentSort, string> = { lastSeen: "i.last_seen", count: "i.failures", firstSeen: "i.first_seen" };

/** Incidents matching the filters (all but `status` and `assignee`) per status, for the list's tabs. */
export type IncidentCounts = Record<IncidentStatus, number> & {
  /** Open, acknowledged or snoozed incidents assigned to the viewer (the "Assigned to me" tab). */
  assignedToMe: number;
};

export interface IncidentList {
  items: IncidentItem[];
  nextCursor: string | null;
  /** Every incident matching the filters (not just this page). */
  total: number;
  counts: IncidentCounts;
}

/**
 * Incidents matching the filters (see incidentConditions; open when no status is given),
 * keyset-paginated by (sort column, id), with the counts of the list's tabs. `viewerId` is who
 * `assignee=me` means. Counters move as failures arrive, so a page boundary by count can shift
 * between requests; by time it only grows at one end.
 */
export function* listIncidents(dialect: Dialect, filters: Filters, page: IncidentPage, viewerId: string | null = null, now = Date.now()): Steps<IncidentList> {
  const window = resolveWindow(filters, now);
  const searched = yield* searchedIncidents(dialect, filters, window);
  const where = incidentConditions(filters, incidentStatuses(filters), window, viewerId, dialect, searched);
  const col = SORT_COLUMN[page.sort];
  const order = page.dir === "desc" ? "DESC" : "ASC";
  const conditions = [where.sql];
  const params = [...where.params];
  if (page.cursor) {
    conditions.push(`(${col}, i.id) ${page.dir === "desc" ? "<" : ">"} (?, ?)`);
    params.push(...decodeCursor<[number, number]>(page.cursor, (key) => key.length === 2 && key.every(Number.isSafeInteger)));
  }
  const rows = yield* all<IncidentRow>(`${INCIDENT_SELECT} WHERE ${conditions.join(" AND ")} ORDER BY ${col} ${order}, i.id ${order} LIMIT ?`, [...params, page.limit + 1]);
  const sortKey = (row: IncidentRow) => (page.sort === "lastSeen" ? row.last_seen : page.sort === "count" ? row.failures : row.first_seen);
  const { rows: pageRows, nextCursor } = keysetPage(rows, page.limit, (last) => [sortKey(last), last.id]);
  return {
    items: pageRows.map(toIncidentItem),
    nextCursor,
    total: yield* countIncidents(where.sql, where.params),
    counts: yield* countByStatus(dialect, filters, window, viewerId, searched),
  };
}

function* countByStatus(dialect: Dialect, filters: Filters, window: { from: number; to: number }, viewerId: string | null, searched: SearchedIncidents | null): Steps<IncidentCounts> {
  const every = incidentConditions({ ...filters, assignee: undefined }, INCIDENT_STATUSES, window, viewerId, dialect, searched);
  const rows = yield* all<{ status: IncidentStatus; n: number }>(`SELECT i.status AS status, count(*) AS n FROM incidents i WHERE ${every.sql} GROUP BY i.status`, every.params);
  const counts = { ...(Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, 0])) as Record<IncidentStatus, number>), assignedToMe: 0 };
  for (const r of rows) counts[r.status] = r.n;
  if (viewerId) {
    const mine = incidentConditions({ ...filters, assignee: "me" }, ASSIGNED_TO_ME_STATUSES, window, viewerId, dialect, searched);
    counts.assignedToMe = yield* countIncidents(mine.sql, mine.params);
  }
  return counts;
}

function* countIncidents(whereSql: string, params: readonly Value[]): Steps<number> {
  return (yield* get<{ n: number }>(`SELECT count(*) AS n FROM incidents i WHERE ${whereSql}`, params))!.n;
}

/** Ids of every incident matching the filters (for bulk actions; no cap). */
export function* matchingIncidentIds(dialect: Dialect, filters: Filters, now: number, viewerId: string | null = null): Steps<number[]> {
  const where = incidentConditions(filters, incidentStatuses(filters), resolveWindow(filters, now), viewerId, dialect);
  const rows = yield* all<{ id: number }>(`SELECT i.id FROM incidents i WHERE ${where.sql} ORDER BY i.id`, where.params);
  return rows.map((r) => r.id);
}

/** What an activity entry records: a transition's activity name, or one of the non-status entries. */
export type IncidentActivityAction =
  | (typeof INCIDENT_TRANSITIONS)[keyof typeof INCIDENT_TRANSITIONS]["activity"]
  | "assigned"
  | "unassigned"
  | "commented"
  | "escalating"
  | "escalation_ended";

export interface IncidentActivityItem {
  id: number;
  at: string;
  /** Who acted (e-mail address); null for the server itself (ingest, timers). */
  actor: string | null;
  action: IncidentActivityAction;
  /** A person's note or comment, the snooze's condition, the assignee, or why the server acted. */
  note: string | null;
  /** The failure that caused a regression, a wake-up or an escalation. */
  failureId: number | null;
}

export interface IncidentDetail extends IncidentItem {
  meaning: string | null;
  action: string | null;
  /** Newest first. */
  activity: IncidentActivityItem[];
}

/** A safe integer: larger ones are no id on SQLite and out of bigint's range on PostgreSQL. */
export const incidentIdSchema = z.coerce
  .number({ message: "must be a positive integer" })
  .int("must be a positive integer")
  .positive("must be a positive integer")
  .max(Number.MAX_SAFE_INTEGER, "must be a positive integer");

/** One incident with its reason's meaning and its activity log; NotFoundError for an unknown id. */
export function* getIncident(idInput: unknown): Steps<IncidentDetail> {
  const id = parseInput(z.object({ id: incidentIdSchema }), { id: idInput }).id;
  const row = yield* incidentRow(id);
  if (!row) throw new NotFoundError(`No incident with id ${id}.`);
  const activity = yield* all<{ id: number; at: number; actor: string | null; action: IncidentActivityItem["action"]; note: string | null; failure_id: number | null }>(
    "SELECT id, at, actor, action, note, failure_id FROM incident_activity WHERE incident_id = ? ORDER BY at DESC, id DESC",
    [id],
  );
  const info = reasonInfo(row.reason);
  return {
    ...toIncidentItem(row),
    meaning: info?.meaning ?? null,
    action: info?.action ?? null,
    activity: activity.map((a) => ({ id: a.id, at: new Date(a.at).toISOString(), actor: a.actor, action: a.action, note: a.note, failureId: a.failure_id })),
  };
}
