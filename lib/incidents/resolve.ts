import type { IncidentItem } from "@/lib/queries/incidents";
import type { ActingUser } from "./apply";
import { takeAction } from "./take-action";

/** open | acknowledged → resolved, with an optional note; clears "regressed". Body {note?}. */
export function resolveIncident(id: unknown, body: unknown, by: ActingUser): IncidentItem {
  return takeAction("resolve", id, body, by);
}
