import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { takeAction } from "./take-action";

/** resolved → open by hand (a new failure does this at ingest, as a regression). Body {note?}. */
export function reopenIncident(id: unknown, body: unknown, by: ActingUser): IncidentItem {
  return takeAction("reopen", id, body, by);
}
