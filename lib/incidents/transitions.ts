import type { IncidentStatus } from "./statuses";

interface Transition {
  /** Who takes it: a person (an API call) or the server itself (ingest, timers). */
  by: "person" | "system";
  from: readonly IncidentStatus[];
  to: IncidentStatus;
  /** What the incident's activity log records. */
  activity: string;
  /** What the audit log records. */
  audit: string;
}

/**
 * THE incident state machine, declared once (no server code here, so the UI shares it). Every
 * status change — people's actions, the server's own at ingest and on its timers — is one of
 * these; the SQL conditions and the ingest checks are derived from `from`/`to`.
 * Ignored incidents never change status by themselves: no system transition leaves `ignored`.
 */
export const INCIDENT_TRANSITIONS = {
  acknowledge: { by: "person", from: ["open"], to: "acknowledged", activity: "acknowledged", audit: "incident_acknowledged" },
  resolve: { by: "person", from: ["open", "acknowledged"], to: "resolved", activity: "resolved", audit: "incident_resolved" },
  reopen: { by: "person", from: ["resolved", "ignored"], to: "open", activity: "reopened", audit: "incident_reopened" },
  snooze: { by: "person", from: ["open", "acknowledged"], to: "snoozed", activity: "snoozed", audit: "incident_snoozed" },
  unsnooze: { by: "person", from: ["snoozed"], to: "open", activity: "unsnoozed", audit: "incident_unsnoozed" },
  ignore: { by: "person", from: ["open", "acknowledged", "snoozed"], to: "ignored", activity: "ignored", audit: "incident_ignored" },
  /** A failure arrives for a resolved incident (at ingest). */
  regress: { by: "system", from: ["resolved"], to: "open", activity: "regressed", audit: "incident_regressed" },
  /** Its latest failure is older than the auto-resolve setting (timer). */
  autoResolve: { by: "system", from: ["open", "acknowledged"], to: "resolved", activity: "auto_resolved", audit: "incident_auto_resolved" },
  /** Its snooze ran out: the time passed (timer), the counted failures arrived or it escalates (ingest). */
  wake: { by: "system", from: ["snoozed"], to: "open", activity: "unsnoozed", audit: "incident_unsnoozed" },
} as const satisfies Record<string, Transition>;

export type IncidentTransition = keyof typeof INCIDENT_TRANSITIONS;

/** Transitions people take through the API (and the UI's buttons). */
export type IncidentAction = { [K in IncidentTransition]: (typeof INCIDENT_TRANSITIONS)[K]["by"] extends "person" ? K : never }[IncidentTransition];
export const INCIDENT_ACTION_NAMES = (Object.keys(INCIDENT_TRANSITIONS) as IncidentTransition[]).filter(
  (t): t is IncidentAction => INCIDENT_TRANSITIONS[t].by === "person",
);
export const INCIDENT_ACTIONS: { [K in IncidentAction]: (typeof INCIDENT_TRANSITIONS)[K] } = INCIDENT_TRANSITIONS;

/** Whether `transition` may happen to an incident in `status`. */
export function canTake(transition: IncidentTransition, status: IncidentStatus): boolean {
  return (INCIDENT_TRANSITIONS[transition].from as readonly IncidentStatus[]).includes(status);
}

/** The SQL condition "the status allows `transition`", e.g. `status IN ('open', 'acknowledged')`. */
export function statusAllows(transition: IncidentTransition, column = "status"): string {
  return `${column} IN (${INCIDENT_TRANSITIONS[transition].from.map((s) => `'${s}'`).join(", ")})`;
}
