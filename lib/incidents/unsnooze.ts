import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { noteAction } from "./take-action";

/** snoozed → open by hand, before its snooze runs out. Body {note?}. */
export function unsnoozeIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  return noteAction("unsnooze", id, body, by, now);
}
