import type { z } from "zod";
import { parseQuery } from "@/lib/validate";
import { sortedPageSchema } from "./page";

/** Sorting and keyset paging of the failures list (shared by the API and the table; no DB here). */
export const FAILURE_SORTS = ["time", "reason", "line", "template"] as const;
export type FailureSort = (typeof FAILURE_SORTS)[number];
export const PAGE_SIZES = [25, 50, 100, 200] as const;

const failurePageSchema = sortedPageSchema(FAILURE_SORTS, "time");
export type FailurePage = z.output<typeof failurePageSchema>;

/** Paging parameters of GET /api/failures (beside the shared filters); InvalidInputError naming the bad one. */
export function parseFailurePage(params: URLSearchParams): FailurePage {
  return parseQuery(failurePageSchema, params);
}
