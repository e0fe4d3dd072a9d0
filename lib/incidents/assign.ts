import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { incidentIdSchema, toIncidentItem, type IncidentItem } from "@/lib/queries/incidents";
import { parseInput } from "@/lib/validate";
import { appendIncidentActivity, readIncidentRow, type ActingUser } from "./apply";

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
export async function findAssignee(tx: Queryable, userId: string, path = "userId"): Promise<Assignee> {
  const user = await tx.one<Assignee & { disabled: number }>("SELECT id, email, name, disabled FROM users WHERE id = ?", [userId]);
  if (!user) throw new InvalidInputError(`${path} is not a user`, [{ path, message: "is not a user" }], "invalid_input");
  if (user.disabled) throw new InvalidInputError(`${path} is a disabled user`, [{ path, message: "is a disabled user" }], "invalid_input");
  return { id: user.id, email: user.email, name: user.name };
}

/** Enabled users, for the assignee picker (any role may be assigned; only operators and admins act). */
export function listAssignees(): Promise<Assignee[]> {
  return getEngine().query<Assignee>("SELECT id, email, name FROM users WHERE disabled = 0 ORDER BY email");
}

/**
 * Sets the incident's assignee (inside the caller's transaction) when it changes, with its
 * activity (`assigned` naming the assignee, or `unassigned`) and audit rows. Returns whether it
 * changed; false for an unknown incident or one already assigned so.
 */
export async function applyAssign(tx: Queryable, id: number, assignee: Assignee | null, by: ActingUser, at: number): Promise<boolean> {
  const assigneeId = assignee?.id ?? null;
  const changed = await tx.one("UPDATE incidents SET assignee_id = ?, updated_at = ? WHERE id = ? AND assignee_id IS DISTINCT FROM ? RETURNING id", [assigneeId, at, id, assigneeId]);
  if (!changed) return false;
  await appendIncidentActivity(tx, id, { action: assignee ? "assigned" : "unassigned", audit: "incident_assigned", note: assignee?.email ?? null }, by, at);
  return true;
}

const inputSchema = z.object({ id: incidentIdSchema, userId: assigneeSchema });

/** Body {"userId": "<user id>" | null} → the incident with its `assignee`. Assigning the same person again changes nothing. */
export async function assignIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  const input = parseInput(inputSchema, { id, userId: (body as { userId?: unknown } | null)?.userId });
  return getEngine().transaction(async (tx) => {
    const assignee = input.userId === null ? null : await findAssignee(tx, input.userId);
    await applyAssign(tx, input.id, assignee, by, now);
    const row = await readIncidentRow(tx, input.id);
    if (!row) throw new NotFoundError(`No incident with id ${input.id}.`);
    return toIncidentItem(row);
  });
}
