import { z } from "zod";
import { InvalidInputError } from "@/lib/http/errors";

/** Sorting and keyset paging of the failures list (shared by the API and the table; no DB here). */
export const FAILURE_SORTS = ["time", "reason", "line", "template"] as const;
export type FailureSort = (typeof FAILURE_SORTS)[number];
export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** Paging parameters of GET /api/failures (beside the shared filters). */
export const failurePageSchema = z.object({
  sort: z.enum(FAILURE_SORTS).default("time"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  limit: z.coerce.number().int().min(1, "must be 1–500").max(500, "must be 1–500").default(50),
  cursor: z.string().max(2000).optional(),
});
export type FailurePage = z.infer<typeof failurePageSchema>;

export function parseFailurePage(params: URLSearchParams): FailurePage {
  const raw = Object.fromEntries(["sort", "dir", "limit", "cursor"].map((k) => [k, params.get(k) || undefined]));
  const result = failurePageSchema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new InvalidInputError(`${details[0]!.path} ${details[0]!.message}`, details, "invalid_parameter");
  }
  return result.data;
}

