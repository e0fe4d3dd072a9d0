import type Database from "better-sqlite3";
import { z } from "zod";
import { resolveWindow, type Filters } from "@/lib/filters";
import { NotFoundError } from "@/lib/http/errors";
import type { IncidentStatus } from "@/lib/incidents/statuses";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";
import { parseInput } from "@/lib/validate";
import { incidentConditions, incidentStatuses } from "./incident-filter";
import type { IncidentPage, IncidentSort } from "./incident-page";
import { decodeCursor, encodeCursor } from "./cursor";

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
}

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
  };
}

/** The incident row by id, or undefined. */
export function findIncidentRow(sqlite: Database.Database, id: number): IncidentRow | undefined {
  return sqlite.prepare("SELECT * FROM incidents WHERE id = ?").get(id) as IncidentRow | undefined;
}

const SORT_COLUMN: Record<IncidentSort, string> = { lastSeen: "i.last_seen", count: "i.failures", firstSeen: "i.first_seen" };

export interface IncidentList {
  items: IncidentItem[];
  nextCursor: string | null;
  /** Every incident matching the filters (not just this page). */
  total: number;
}

/**
 * Incidents matching the filters (see incidentConditions; open + acknowledged when no status is
 * given), keyset-paginated by (sort column, id). Counters move as failures arrive, so a page
 * boundary by count can shift between requests; by time it only grows at one end.
 */
export function listIncidents(sqlite: Database.Database, filters: Filters, page: IncidentPage, now = Date.now()): IncidentList {
  const where = incidentConditions(filters, incidentStatuses(filters), resolveWindow(filters, now));
  const col = SORT_COLUMN[page.sort];
  const order = page.dir === "desc" ? "DESC" : "ASC";
  const conditions = [where.sql];
  const params = [...where.params];
  if (page.cursor) {
    conditions.push(`(${col}, i.id) ${page.dir === "desc" ? "<" : ">"} (?, ?)`);
    params.push(...decodeCursor<[number, number]>(page.cursor, (key) => key.length === 2 && key.every(Number.isSafeInteger)));
  }
  const rows = sqlite
    .prepare(`SELECT i.* FROM incidents i WHERE ${conditions.join(" AND ")} ORDER BY ${col} ${order}, i.id ${order} LIMIT ?`)
    .all(...params, page.limit + 1) as IncidentRow[];
  const hasMore = rows.length > page.limit;
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  const sortKey = (row: IncidentRow) => (page.sort === "lastSeen" ? row.last_seen : page.sort === "count" ? row.failures : row.first_seen);
  return {
    items: pageRows.map(toIncidentItem),
    nextCursor: hasMore && last ? encodeCursor([sortKey(last), last.id]) : null,
    total: countIncidents(sqlite, where.sql, where.params),
  };
}

function countIncidents(sqlite: Database.Database, whereSql: string, params: unknown[]): number {
  return (sqlite.prepare(`SELECT count(*) AS n FROM incidents i WHERE ${whereSql}`).get(...params) as { n: number }).n;
}

/** Ids of every incident matching the filters (for bulk actions; no cap). */
export function matchingIncidentIds(sqlite: Database.Database, filters: Filters, now: number): number[] {
  const where = incidentConditions(filters, incidentStatuses(filters), resolveWindow(filters, now));
  return sqlite.prepare(`SELECT i.id FROM incidents i WHERE ${where.sql} ORDER BY i.id`).pluck().all(...where.params) as number[];
}

export interface IncidentActivityItem {
  id: number;
  at: string;
  /** Who acted (e-mail address); null for the server itself (a regression at ingest). */
  actor: string | null;
  action: "acknowledged" | "resolved" | "reopened" | "regressed";
  note: string | null;
  /** The failure that caused a regression. */
  failureId: number | null;
}

export interface IncidentDetail extends IncidentItem {
  meaning: string | null;
  action: string | null;
  /** Newest first. */
  activity: IncidentActivityItem[];
}

export const incidentIdSchema = z.coerce.number({ message: "must be a positive integer" }).int("must be a positive integer").positive("must be a positive integer");

/** One incident with its reason's meaning and its activity log; NotFoundError for an unknown id. */
export function getIncident(sqlite: Database.Database, idInput: unknown): IncidentDetail {
  const id = parseInput(z.object({ id: incidentIdSchema }), { id: idInput }).id;
  const row = findIncidentRow(sqlite, id);
  if (!row) throw new NotFoundError(`No incident with id ${id}.`);
  const activity = sqlite
    .prepare("SELECT id, at, actor, action, note, failure_id FROM incident_activity WHERE incident_id = ? ORDER BY at DESC, id DESC")
    .all(id) as Array<{ id: number; at: number; actor: string | null; action: IncidentActivityItem["action"]; note: string | null; failure_id: number | null }>;
  const info = reasonInfo(row.reason);
  return {
    ...toIncidentItem(row),
    meaning: info?.meaning ?? null,
    action: info?.action ?? null,
    activity: activity.map((a) => ({ id: a.id, at: new Date(a.at).toISOString(), actor: a.actor, action: a.action, note: a.note, failureId: a.failure_id })),
  };
}
