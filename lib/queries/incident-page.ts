import type { z } from "zod";
import { parseQuery } from "@/lib/validate";
import { sortedPageSchema } from "./page";

/** Sorting and keyset paging of the incidents list (shared by the API and the table; no DB here). */
export const INCIDENT_SORTS = ["lastSeen", "count", "firstSeen"] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

const incidentPageSchema = sortedPageSchema(INCIDENT_SORTS, "lastSeen");
export type IncidentPage = z.output<typeof incidentPageSchema>;

/** Paging parameters of GET /api/incidents (beside the shared filters); InvalidInputError naming the bad one. */
export function parseIncidentPage(params: URLSearchParams): IncidentPage {
  return parseQuery(incidentPageSchema, params);
}
