import type Database from "better-sqlite3";
import { z } from "zod";
import { getDb, type DbHandle } from "@/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { findIncidentRow, incidentIdSchema, toIncidentItem, type IncidentItem } from "@/lib/queries/incidents";
import { parseInput } from "@/lib/validate";
import { recordIncidentActivity, type ActingUser } from "./apply";

/** `userId`: a user's id, or null to unassign. */
export const assigneeSchema = z.union([z.string().min(1, "must be a user id or null").max(200, "must be a user id or null"), z.null()], {
  message: "must be a user id or null",
});

export interface Assignee {
  id: string;
  email: string;
  name: string;
}

/** The user incidents can be assigned to; an unknown or disabled one is bad input (400). */
export function findAssignee(sqlite: Database.Database, userId: string, path = "userId"): Assignee {
  const user = sqlite.prepare("SELECT id, email, name, disabled FROM users WHERE id = ?").get(userId) as (Assignee & { disabled: number }) | undefined;
  if (!user) throw new InvalidInputError(`${path} is not a user`, [{ path, message: "is not a user" }], "invalid_input");
  if (user.disabled) throw new InvalidInputError(`${path} is a disabled user`, [{ path, message: "is a disabled user" }], "invalid_input");
  return { id: user.id, email: user.email, name: user.name };
}

/** Enabled users, for the assignee picker (any role may be assigned; only operators and admins act). */
export function listAssignees(): Assignee[] {
  return getDb().sqlite.prepare("SELECT id, email, name FROM users WHERE disabled = 0 ORDER BY email").all() as Assignee[];
}

/**
 * Sets the incident's assignee (inside the caller's transaction) when it changes, with its
 * activity (`assigned` naming the assignee, or `unassigned`) and audit rows. Returns whether it
 * changed; false for an unknown incident or one already assigned so.
 */
export function applyAssign(handle: DbHandle, id: number, assignee: Assignee | null, by: ActingUser, at: number): boolean {
  const changed = handle.sqlite
    .prepare("UPDATE incidents SET assignee_id = @assignee, updated_at = @at WHERE id = @id AND assignee_id IS NOT @assignee RETURNING id")
    .get({ id, at, assignee: assignee?.id ?? null });
  if (!changed) return false;
  recordIncidentActivity(handle, id, { action: assignee ? "assigned" : "unassigned", audit: "incident_assigned", note: assignee?.email ?? null }, by, at);
  return true;
}

const inputSchema = z.object({ id: incidentIdSchema, userId: assigneeSchema });

/** Body {"userId": "<user id>" | null} → the incident with its `assignee`. Assigning the same person again changes nothing. */
export function assignIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): IncidentItem {
  const input = parseInput(inputSchema, { id, userId: (body as { userId?: unknown } | null)?.userId });
  const handle = getDb();
  return handle.sqlite
    .transaction(() => {
      const assignee = input.userId === null ? null : findAssignee(handle.sqlite, input.userId);
      applyAssign(handle, input.id, assignee, by, now);
      const row = findIncidentRow(handle.sqlite, input.id);
      if (!row) throw new NotFoundError(`No incident with id ${input.id}.`);
      return toIncidentItem(row);
    })
    .immediate();
}
