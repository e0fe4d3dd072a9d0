/** Incident statuses, shared by the schema, the filters and the UI (no server code here). */
export const INCIDENT_STATUSES = ["open", "acknowledged", "snoozed", "resolved", "ignored"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The "Assigned to me" view: what the viewer still has to handle. */
export const ASSIGNED_TO_ME_STATUSES: readonly IncidentStatus[] = ["open", "acknowledged", "snoozed"];
