import { z } from "zod";
import type { Param, Queryable } from "@/db/engine";
import { appendAudit, type Actor, type AuditAction } from "@/lib/auth/audit";
import { runStepsOn } from "@/db/steps";
import { incidentRow, type IncidentRow } from "@/lib/queries/incidents";
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

/** The values a transition's SET list binds. */
export interface TransitionValues {
  at: number;
  by?: string | null;
  note?: string | null;
  /** Only for `snooze`. */
  snooze?: SnoozeCondition;
}

type SetPart = [sql: string, params: Param[]];

/** What each transition sets beside status, updated_at and the snooze columns. */
const EXTRA_SET: Record<SqlTransition, ((v: TransitionValues) => SetPart) | null> = {
  acknowledge: (v) => ["acknowledged_at = ?, acknowledged_by = ?, new_since_ack = 0", [v.at, v.by ?? null]],
  resolve: (v) => ["resolved_at = ?, resolved_by = ?, note = ?, regressed = 0", [v.at, v.by ?? null, v.note ?? null]],
  reopen: () => ["reopened_count = reopened_count + 1", []],
  snooze: null,
  unsnooze: null,
  ignore: null,
  autoResolve: (v) => ["resolved_at = ?, resolved_by = NULL, note = NULL, regressed = 0", [v.at]],
  wake: null,
};

/**
 * The SET list of a transition and its parameters (`?`, the same text on both engines), derived
 * from the state machine: the target status, and the snooze columns — the snooze's condition when
 * entering `snoozed`, cleared otherwise.
 */
export function transitionSet(transition: SqlTransition, values: TransitionValues): { sql: string; params: Param[] } {
  const { to } = INCIDENT_TRANSITIONS[transition];
  const snooze = values.snooze;
  const parts: SetPart[] = [
    [`status = '${to}', updated_at = ?`, [values.at]],
    to === "snoozed"
      ? ["snooze_until = ?, snooze_failures_left = ?, snooze_until_escalating = ?", [snooze?.until ?? null, snooze?.failures ?? null, snooze?.untilEscalating ? 1 : 0]]
      : ["snooze_until = NULL, snooze_failures_left = NULL, snooze_until_escalating = 0", []],
  ];
  const extra = EXTRA_SET[transition];
  if (extra) parts.push(extra(values));
  return { sql: parts.map(([sql]) => sql).join(", "), params: parts.flatMap(([, params]) => params) };
}

interface ActivityEntry {
  action: string;
  audit: AuditAction;
  note: string | null;
  auditDetail?: string | null;
}

/** Writes one activity row and its audit row in the caller's engine transaction; returns the activity id. */
export async function appendIncidentActivity(tx: Queryable, id: number, entry: ActivityEntry, by: ActingUser, at: number): Promise<number> {
  const row = await tx.one<{ id: number }>("INSERT INTO incident_activity (incident_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?) RETURNING id", [
    id,
    at,
    by.actor.email,
    entry.action,
    entry.note,
  ]);
  const detail = entry.auditDetail === undefined ? entry.note : entry.auditDetail;
  await appendAudit(tx, { actor: by.actor, action: entry.audit, target: `incident #${id}`, detail, ip: by.ip, at });
  return row!.id;
}

/** The activity note of a snooze: what wakes it, then the person's note. */
export function describeSnooze(snooze: SnoozeCondition): string {
  if (snooze.until !== null) return `until ${new Date(snooze.until).toISOString()}`;
  if (snooze.failures !== null) return `until ${snooze.failures.toLocaleString("en-US")} more failure${snooze.failures === 1 ? "" : "s"}`;
  return "until it escalates";
}

/** The incident row (with its assignee) by id, read through the caller's transaction. */
export function readIncidentRow(tx: Queryable, id: number): Promise<IncidentRow | undefined> {
  return runStepsOn(tx, incidentRow(id));
}

/**
 * Takes `action` on one incident: one conditional UPDATE, changing the row only while its status
 * still allows the action — of two racing callers exactly one gets a row back (on PostgreSQL the
 * second waits for the first's row lock, then re-checks the condition against the committed row)
 * — then its activity and audit rows. Returns whether it changed the incident; false when the
 * incident is unknown or its status does not allow the action (nothing written). Runs in the
 * caller's engine transaction, so the three writes commit together.
 */
export async function applyAction(tx: Queryable, action: IncidentAction, id: number, params: ActionParams, by: ActingUser, at: number): Promise<boolean> {
  const snooze = action === "snooze" ? params.snooze : undefined;
  const set = transitionSet(action, { at, by: by.actor.email, note: params.note, snooze });
  const changed = await tx.one(`UPDATE incidents SET ${set.sql} WHERE id = ? AND ${statusAllows(action)} RETURNING id`, [...set.params, id]);
  if (!changed) return false;
  const spec = INCIDENT_TRANSITIONS[action];
  const note = snooze ? [describeSnooze(snooze), params.note].filter(Boolean).join(" — ") : params.note;
  await appendIncidentActivity(tx, id, { action: spec.activity, audit: spec.audit, note }, by, at);
  return true;
}
