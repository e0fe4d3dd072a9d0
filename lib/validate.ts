import { z } from "zod";
import { InvalidInputError, type ErrorDetail } from "@/lib/http/errors";

/** The one way input is refused: 400 `invalid_input`, the message naming the first bad field, `details` all of them. */
function refuse(details: ErrorDetail[]): never {
  throw new InvalidInputError(`${details[0]!.path} ${details[0]!.message}`.trim(), details);
}

/** A lib verb's input checked against its zod schema; InvalidInputError naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  return refuse(result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
}

/** A query string, as a route (URLSearchParams) or a page (Next's searchParams record) receives it. */
export type QueryParams = URLSearchParams | Record<string, string | string[] | undefined>;

function param(params: QueryParams, key: string): string | undefined {
  const value = params instanceof URLSearchParams ? params.get(key) : params[key];
  // A repeated parameter in a page's record reads like a comma-separated list; an empty one is absent.
  return (Array.isArray(value) ? value.join(",") : value) || undefined;
}

/**
 * The parameters `schema` declares, read from a query string and checked; InvalidInputError
 * naming the parameter itself (`class`, not the list element `class.0`). Others are ignored.
 */
export function parseQuery<T extends z.ZodObject>(schema: T, params: QueryParams): z.output<T> {
  const raw = Object.fromEntries(Object.keys(schema.shape).map((key) => [key, param(params, key)]));
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  return refuse(result.error.issues.map((i) => ({ path: i.path[0] === undefined ? "parameters" : String(i.path[0]), message: i.message })));
}

/** An ISO 8601 instant with a date and a time, such as `2026-11-25T14:02:00Z`. */
export const isIsoDateTime = (value: string) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));

/** A row id as a URL carries it (a path segment or a parameter such as `afterId`). */
export const idParam = z.string().regex(/^\d{1,15}$/, "must be a non-negative integer").transform(Number);

/** A path segment that must be a row id; InvalidInputError naming it (`id` unless told). */
export function parseId(value: string, name = "id"): number {
  return parseInput(z.object({ [name]: idParam }), { [name]: value })[name]!;
}
