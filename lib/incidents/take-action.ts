import { z } from "zod";
import { getDb } from "@/db/client";
import { ConflictError, NotFoundError } from "@/lib/http/errors";
import { findIncidentRow, incidentIdSchema, toIncidentItem, type IncidentItem } from "@/lib/queries/incidents";
import { parseInput } from "@/lib/validate";
import { applyAction, noteSchema, type ActingUser, type ActionParams } from "./apply";
import { INCIDENT_ACTIONS, type IncidentAction } from "./transitions";

/**
 * One action on one (already validated) incident id, in one immediate transaction. When the
 * conditional UPDATE changes nothing, the row is read inside the same transaction to tell "no
 * such incident" (NotFoundError) from "its status does not allow this" — an invalid transition
 * or a lost race — (ConflictError carrying the incident as it is now).
 */
export function takeAction(action: IncidentAction, id: number, params: ActionParams, by: ActingUser, now = Date.now()): IncidentItem {
  const handle = getDb();
  return handle.sqlite
    .transaction(() => {
      const updated = applyAction(handle, action, id, params, by, now);
      if (updated) return toIncidentItem(updated);
      const current = findIncidentRow(handle.sqlite, id);
      if (!current) throw new NotFoundError(`No incident with id ${id}.`);
      const allowed = INCIDENT_ACTIONS[action].from.join(" or ");
      throw new ConflictError(
        `Incident #${id} is ${current.status}: only ${allowed} incidents can be ${INCIDENT_ACTIONS[action].activity}.`,
        [{ path: "status", message: `is ${current.status}` }],
        toIncidentItem(current),
      );
    })
    .immediate();
}

const noteInputSchema = z.object({ id: incidentIdSchema, note: noteSchema });

/** An action whose body is only {note?}: validates the id and body, then takes it. */
export function noteAction(action: Exclude<IncidentAction, "snooze">, id: unknown, body: unknown, by: ActingUser, now = Date.now()): IncidentItem {
  const input = parseInput(noteInputSchema, { id, note: (body as { note?: unknown } | null)?.note });
  return takeAction(action, input.id, { note: input.note }, by, now);
}
