import type Database from "better-sqlite3";
import { perConnection } from "@/db/statements";
import { z } from "zod";
import type { DbHandle } from "@/db/client";
import { recordAudit, type Actor, type AuditAction } from "@/lib/auth/audit";
import { findIncidentRow, type IncidentRow } from "@/lib/queries/incidents";
import { INCIDENT_TRANSITIONS, statusAllows, type IncidentAction, type IncidentTransition } from "./transitions";

/** Who acts, and from where (for the audit log). */
export interface ActingUser {
  actor: Actor;
  ip: string | null;
}

/** Body of a single or bulk action: an optional note (blank = none). */
export const noteSchema = z
  .string({ message: "must be a string" })
  .max(2000, "must be at most 2000 characters")
  .transform((v) => v.trim() || null)
  .nullish()
  .transform((v) => v ?? null);

/** What a snooze waits for (lib/incidents/snooze.ts); null fields do not wake it. */
export interface SnoozeCondition {
  until: number | null;
  failures: number | null;
  untilEscalating: boolean;
}

/** What an action carries beside the incident id. */
export interface ActionParams {
  note: string | null;
  /** Only for `snooze`. */
  snooze?: SnoozeCondition;
}

/** Transitions done by one UPDATE statement (regressions and wake-ups at ingest are counted in lib/incidents/at-ingest.ts). */
type SqlTransition = Exclude<IncidentTransition, "regress">;

/** What each transition sets beside status, updated_at and the snooze columns. Parameters: @at, @by, @note. */
const EXTRA_SET: Record<SqlTransition, string | null> = {
  acknowledge: "acknowledged_at = @at, acknowledged_by = @by, new_since_ack = 0",
  resolve: "resolved_at = @at, resolved_by = @by, note = @note, regressed = 0",
  reopen: "reopened_count = reopened_count + 1",
  snooze: null,
  unsnooze: null,
  ignore: null,
  autoResolve: "resolved_at = @at, resolved_by = NULL, note = NULL, regressed = 0",
  wake: null,
};

/**
 * The SET list of a transition, derived from the state machine: the target status, and the
 * snooze columns — the snooze's condition when entering `snoozed`, cleared otherwise.
 * Parameters @snoozeUntil, @snoozeFailures, @snoozeUntilEscalating (snooze only).
 */
export function transitionSet(transition: SqlTransition): string {
  const { to } = INCIDENT_TRANSITIONS[transition];
  const snooze =
    to === "snoozed"
      ? "snooze_until = @snoozeUntil, snooze_failures_left = @snoozeFailures, snooze_until_escalating = @snoozeUntilEscalating"
      : "snooze_until = NULL, snooze_failures_left = NULL, snooze_until_escalating = 0";
  return [`status = '${to}'`, "updated_at = @at", snooze, EXTRA_SET[transition]].filter(Boolean).join(", ");
}

/**
 * Each action's one conditional UPDATE: it changes the row only while the status still allows the
 * action, so of two racing callers exactly one gets a row back. SET expressions read the row as
 * it was before the update.
 */
const updateSql = (action: IncidentAction) => `UPDATE incidents SET ${transitionSet(action)} WHERE id = @id AND ${statusAllows(action)} RETURNING id`;

const statements = perConnection((sqlite) => ({
  update: new Map<IncidentAction, Database.Statement>(),
  activity: sqlite.prepare("INSERT INTO incident_activity (incident_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?) RETURNING id"),
}));

function updateStatement(sqlite: Database.Database, action: IncidentAction): Database.Statement {
  const s = statements(sqlite);
  let statement = s.update.get(action);
  if (!statement) {
    statement = sqlite.prepare(updateSql(action));
    s.update.set(action, statement);
  }
  return statement;
}

/** Writes one activity row and its audit row (inside the caller's transaction); returns the activity id. */
export function recordIncidentActivity(
  handle: DbHandle,
  id: number,
  entry: { action: string; audit: AuditAction; note: string | null; auditDetail?: string | null },
  by: ActingUser,
  at: number,
): number {
  const activityId = (statements(handle.sqlite).activity.get(id, at, by.actor.email, entry.action, entry.note) as { id: number }).id;
  recordAudit(handle.db, { actor: by.actor, action: entry.audit, target: `incident #${id}`, detail: entry.auditDetail === undefined ? entry.note : entry.auditDetail, ip: by.ip, at });
  return activityId;
}

/** The activity note of a snooze: what wakes it, then the person's note. */
export function describeSnooze(snooze: SnoozeCondition): string {
  if (snooze.until !== null) return `until ${new Date(snooze.until).toISOString()}`;
  if (snooze.failures !== null) return `until ${snooze.failures.toLocaleString("en-US")} more failure${snooze.failures === 1 ? "" : "s"}`;
  return "until it escalates";
}

/**
 * Takes `action` on one incident: the conditional UPDATE, then its activity row and audit row.
 * Returns the updated row, or undefined when the incident is unknown or its status does not allow
 * the action (nothing written). Must run inside the caller's transaction, so the three writes
 * commit together.
 */
export function applyAction(handle: DbHandle, action: IncidentAction, id: number, params: ActionParams, by: ActingUser, at: number): IncidentRow | undefined {
  const snooze = params.snooze;
  const changed = updateStatement(handle.sqlite, action).get({
    id,
    at,
    by: by.actor.email,
    note: params.note,
    ...(action === "snooze" && { snoozeUntil: snooze?.until ?? null, snoozeFailures: snooze?.failures ?? null, snoozeUntilEscalating: snooze?.untilEscalating ? 1 : 0 }),
  });
  if (!changed) return undefined;
  const spec = INCIDENT_TRANSITIONS[action];
  const note = action === "snooze" && snooze ? [describeSnooze(snooze), params.note].filter(Boolean).join(" — ") : params.note;
  recordIncidentActivity(handle, id, { action: spec.activity, audit: spec.audit, note }, by, at);
  return findIncidentRow(handle.sqlite, id);
}
