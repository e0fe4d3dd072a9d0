/** Incident statuses, shared by the schema, the filters and the UI (no server code here). */
export const INCIDENT_STATUSES = ["open", "acknowledged", "snoozed", "resolved", "ignored"] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
