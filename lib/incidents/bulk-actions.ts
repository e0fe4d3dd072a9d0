import { INCIDENT_ACTION_NAMES, type IncidentAction } from "./transitions";

/** What a bulk request can do: every action people take, and assigning (no server code here, so the UI shares it). */
export const BULK_ACTIONS = [...INCIDENT_ACTION_NAMES, "assign"] as const;
export type BulkActionName = IncidentAction | "assign";
