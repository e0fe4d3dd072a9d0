import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { noteAction } from "./take-action";

/** resolved | ignored → open by hand (a new failure reopens a resolved one at ingest, as a regression). Body {note?}. */
export function reopenIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  return noteAction("reopen", id, body, by, now);
}
