import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { noteAction } from "./take-action";

/** open → acknowledged: someone is on it. Resets "new since acknowledged". Body {note?}. */
export function acknowledgeIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  return noteAction("acknowledge", id, body, by, now);
}
