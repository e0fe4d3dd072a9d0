import { z } from "zod";
import { parseInput } from "@/lib/validate";

/** Sorting and keyset paging of the incidents list (shared by the API and the table; no DB here). */
export const INCIDENT_SORTS = ["lastSeen", "count", "firstSeen"] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

const incidentPageSchema = z.object({
  sort: z.enum(INCIDENT_SORTS, { message: `must be one of ${INCIDENT_SORTS.join(", ")}` }).default("lastSeen"),
  dir: z.enum(["asc", "desc"], { message: "must be asc or desc" }).default("desc"),
  limit: z.coerce.number().int().min(1, "must be 1–500").max(500, "must be 1–500").default(50),
  cursor: z.string().max(200).optional(),
});
export type IncidentPage = z.output<typeof incidentPageSchema>;

/** Paging parameters of GET /api/incidents (beside the shared filters); InvalidInputError naming the bad one. */
export function parseIncidentPage(params: URLSearchParams): IncidentPage {
  return parseInput(incidentPageSchema, Object.fromEntries(["sort", "dir", "limit", "cursor"].map((k) => [k, params.get(k) || undefined])));
}
