import { z } from "zod";
import { getEngine } from "@/db/client";
import { ConflictError, NotFoundError } from "@/lib/http/errors";
import { incidentIdSchema, toIncidentItem, type IncidentItem } from "@/lib/queries/incidents";
import { parseInput } from "@/lib/validate";
import { applyAction, noteSchema, readIncidentRow, type ActingUser, type ActionParams } from "./apply";
import { INCIDENT_ACTIONS, type IncidentAction } from "./transitions";

/**
 * One action on one (already validated) incident id, in one engine transaction. The row is read
 * after the conditional UPDATE inside the same transaction: the incident as changed, or — when
 * nothing changed — to tell "no such incident" (NotFoundError) from "its status does not allow
 * this", an invalid transition or a lost race (ConflictError carrying the incident as it is now).
 */
export async function takeAction(action: IncidentAction, id: number, params: ActionParams, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  return getEngine().transaction(async (tx) => {
    const changed = await applyAction(tx, action, id, params, by, now);
    const current = await readIncidentRow(tx, id);
    if (!current) throw new NotFoundError(`No incident with id ${id}.`);
    if (changed) return toIncidentItem(current);
    const allowed = INCIDENT_ACTIONS[action].from.join(" or ");
    throw new ConflictError(
      `Incident #${id} is ${current.status}: only ${allowed} incidents can be ${INCIDENT_ACTIONS[action].activity}.`,
      [{ path: "status", message: `is ${current.status}` }],
      toIncidentItem(current),
    );
  });
}

const noteInputSchema = z.object({ id: incidentIdSchema, note: noteSchema });

/** An action whose body is only {note?}: validates the id and body, then takes it. */
export async function noteAction(action: Exclude<IncidentAction, "snooze">, id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  const input = parseInput(noteInputSchema, { id, note: (body as { note?: unknown } | null)?.note });
  return takeAction(action, input.id, { note: input.note }, by, now);
}
