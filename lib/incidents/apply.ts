import type Database from "better-sqlite3";
import { z } from "zod";
import type { DbHandle } from "@/db/client";
import { recordAudit, type Actor } from "@/lib/auth/audit";
import type { IncidentRow } from "@/lib/queries/incidents";
import { INCIDENT_ACTIONS, type IncidentAction } from "./transitions";

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

/**
 * Each action's one conditional UPDATE: it changes the row only while the status still allows the
 * action, so of two racing callers exactly one gets a row back. SET expressions read the row as
 * it was before the update.
 */
const UPDATE_SQL: Record<IncidentAction, string> = {
  acknowledge: `UPDATE incidents SET status = 'acknowledged', acknowledged_at = @at, acknowledged_by = @by, new_since_ack = 0, updated_at = @at
    WHERE id = @id AND status IN ('open') RETURNING *`,
  resolve: `UPDATE incidents SET status = 'resolved', resolved_at = @at, resolved_by = @by, note = @note, regressed = 0, updated_at = @at
    WHERE id = @id AND status IN ('open', 'acknowledged') RETURNING *`,
  reopen: `UPDATE incidents SET status = 'open', reopened_count = reopened_count + 1, updated_at = @at
    WHERE id = @id AND status IN ('resolved') RETURNING *`,
};

const statementsByDb = new WeakMap<Database.Database, { update: Record<IncidentAction, Database.Statement>; activity: Database.Statement }>();

function statements(sqlite: Database.Database) {
  let s = statementsByDb.get(sqlite);
  if (!s) {
    s = {
      update: {
        acknowledge: sqlite.prepare(UPDATE_SQL.acknowledge),
        resolve: sqlite.prepare(UPDATE_SQL.resolve),
        reopen: sqlite.prepare(UPDATE_SQL.reopen),
      },
      activity: sqlite.prepare("INSERT INTO incident_activity (incident_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)"),
    };
    statementsByDb.set(sqlite, s);
  }
  return s;
}

/**
 * Takes `action` on one incident: the conditional UPDATE, then its activity row and audit row.
 * Returns the updated row, or undefined when the incident is unknown or its status does not allow
 * the action (nothing written). Must run inside the caller's transaction, so the three writes
 * commit together.
 */
export function applyAction(handle: DbHandle, action: IncidentAction, id: number, note: string | null, by: ActingUser, at: number): IncidentRow | undefined {
  const s = statements(handle.sqlite);
  const row = s.update[action].get({ id, at, by: by.actor.email, note }) as IncidentRow | undefined;
  if (!row) return undefined;
  const spec = INCIDENT_ACTIONS[action];
  s.activity.run(id, at, by.actor.email, spec.activity, note);
  recordAudit(handle.db, { actor: by.actor, action: spec.audit, target: `incident #${id}`, detail: note, ip: by.ip, at });
  return row;
}
