import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { noteAction } from "./take-action";

/** open | acknowledged | snoozed → ignored: its failures still count and show, but its status never changes by itself and it never alerts. Body {note?}. */
export function ignoreIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  return noteAction("ignore", id, body, by, now);
}
