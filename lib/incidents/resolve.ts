import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { noteAction } from "./take-action";

/** open | acknowledged → resolved, with an optional note; clears "regressed". Body {note?}. */
export function resolveIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  return noteAction("resolve", id, body, by, now);
}
