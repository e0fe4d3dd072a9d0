import type { IncidentStatus } from "./statuses";

/**
 * The state machine of people's actions (no server code here, so the UI shares it):
 * open → acknowledged, open | acknowledged → resolved, resolved → open (manual reopen).
 * The server's own transition, resolved → open as regressed on a new failure, happens at ingest
 * (lib/ingest/store.ts).
 */
export const INCIDENT_ACTIONS = {
  acknowledge: { from: ["open"], to: "acknowledged", activity: "acknowledged", audit: "incident_acknowledged" },
  resolve: { from: ["open", "acknowledged"], to: "resolved", activity: "resolved", audit: "incident_resolved" },
  reopen: { from: ["resolved"], to: "open", activity: "reopened", audit: "incident_reopened" },
} as const satisfies Record<string, { from: readonly IncidentStatus[]; to: IncidentStatus; activity: string; audit: string }>;

export type IncidentAction = keyof typeof INCIDENT_ACTIONS;
export const INCIDENT_ACTION_NAMES = Object.keys(INCIDENT_ACTIONS) as IncidentAction[];

/** Whether `action` may be taken on an incident in `status`. */
export function canTake(action: IncidentAction, status: IncidentStatus): boolean {
  return (INCIDENT_ACTIONS[action].from as readonly IncidentStatus[]).includes(status);
}
