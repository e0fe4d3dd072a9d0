import { z } from "zod";
import { getDb } from "@/db/client";
import { ConflictError, NotFoundError } from "@/lib/http/errors";
import { findIncidentRow, incidentIdSchema, toIncidentItem, type IncidentItem } from "@/lib/queries/incidents";
import { parseInput } from "@/lib/validate";
import { applyAction, noteSchema, type ActingUser } from "./apply";
import { INCIDENT_ACTIONS, type IncidentAction } from "./transitions";

const inputSchema = z.object({ id: incidentIdSchema, note: noteSchema });

/**
 * One action on one incident, in one immediate transaction. When the conditional UPDATE changes
 * nothing, the row is read inside the same transaction to tell "no such incident" (NotFoundError)
 * from "its status does not allow this" — an invalid transition or a lost race — (ConflictError
 * carrying the incident as it is now).
 */
export function takeAction(action: IncidentAction, id: unknown, body: unknown, by: ActingUser): IncidentItem {
  const input = parseInput(inputSchema, { id, note: (body as { note?: unknown } | null)?.note });
  const handle = getDb();
  return handle.sqlite
    .transaction(() => {
      const updated = applyAction(handle, action, input.id, input.note, by, Date.now());
      if (updated) return toIncidentItem(updated);
      const current = findIncidentRow(handle.sqlite, input.id);
      if (!current) throw new NotFoundError(`No incident with id ${input.id}.`);
      const allowed = INCIDENT_ACTIONS[action].from.join(" or ");
      throw new ConflictError(`Incident #${input.id} is ${current.status}: only ${allowed} incidents can be ${INCIDENT_ACTIONS[action].activity}.`, [{ path: "status", message: `is ${current.status}` }], toIncidentItem(current));
    })
    .immediate();
}
