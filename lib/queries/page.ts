import { z } from "zod";
import { parseQuery } from "@/lib/validate";

/** `limit` and `cursor` of every keyset-paginated list (cursors: lib/queries/cursor.ts; no DB here). */
const keysetPageSchema = (defaultLimit: number) =>
  z.object({
    limit: z.coerce.number().int().min(1, "must be 1–500").max(500, "must be 1–500").default(defaultLimit),
    // Long enough for a sort key holding a template name (up to 512 characters).
    cursor: z.string().max(2000).optional(),
  });
export type KeysetPage = z.output<ReturnType<typeof keysetPageSchema>>;

/** A list's `limit` and `cursor` from its query string; InvalidInputError naming the bad one. */
export function parseKeysetPage(params: URLSearchParams, defaultLimit: number): KeysetPage {
  return parseQuery(keysetPageSchema(defaultLimit), params);
}

/** `limit`, `cursor`, `sort` (one of `sorts`) and `dir` of a sortable list (50 rows unless told). */
export function sortedPageSchema<const Sort extends string>(sorts: readonly [Sort, ...Sort[]], defaultSort: NoInfer<Sort>) {
  return keysetPageSchema(50).extend({
    sort: z.enum(sorts, { message: `must be one of ${sorts.join(", ")}` }).default(defaultSort),
    dir: z.enum(["asc", "desc"], { message: "must be asc or desc" }).default("desc"),
  });
}
