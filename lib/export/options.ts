import { z } from "zod";
import { filtersToSearchParams, parseFilters, resolveWindow, type Filters, type TimeWindow } from "@/lib/filters";
import { InvalidInputError } from "@/lib/http/errors";

/** Parameters of every /api/…/export route beside the shared filters. */
const flag = (name: string) => z.enum(["0", "1"], { message: `${name} must be 0 or 1` }).optional().transform((v) => v === "1");

export const CONTACT_LISTS = ["retry", "suppress"] as const;
export type ContactList = (typeof CONTACT_LISTS)[number];

const exportOptionsSchema = z.object({
  /** `bom=1`: start with a UTF-8 byte order mark, so Excel reads the file as UTF-8. */
  bom: flag("bom"),
  /** `count=1`: answer `{ rows }` (what the download would hold) instead of the CSV. */
  count: flag("count"),
});

export interface ExportRequest {
  filters: Filters;
  window: TimeWindow;
  bom: boolean;
  count: boolean;
}

function parseOrThrow<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ path: String(i.path[0] ?? "parameters"), message: i.message }));
    throw new InvalidInputError(`${details[0]!.path}: ${details[0]!.message}`, details, "invalid_parameter");
  }
  return result.data;
}

/** The filters and export options of an export URL; 400 naming the parameter when one is bad. */
export function parseExportRequest(params: URLSearchParams, now = Date.now()): ExportRequest {
  const filters = parseFilters(params);
  const options = parseOrThrow(exportOptionsSchema, { bom: params.get("bom") ?? undefined, count: params.get("count") ?? undefined });
  return { filters, window: resolveWindow(filters, now), ...options };
}

/** `list=retry|suppress` of the contacts export (required). */
export function parseContactList(params: URLSearchParams): ContactList {
  return parseOrThrow(z.object({ list: z.enum(CONTACT_LISTS, { message: `list must be one of ${CONTACT_LISTS.join(", ")}` }) }), {
    list: params.get("list") ?? undefined,
  }).list;
}

const stamp = (t: number) => new Date(t).toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-") + "Z";

/**
 * A descriptive file name: what, the window (UTC, minute precision) and every filter, e.g.
 * `faultline-failures_20261124-1002Z_20261125-1002Z_reason-INVALID_PHONE.csv`. Characters a file
 * system or a header might choke on become `_`.
 */
export function exportFilename(what: string, window: TimeWindow, filters: Filters): string {
  const parts = [`faultline-${what}`, window.preset ? `last-${window.preset}` : "", stamp(window.from), stamp(window.to)];
  for (const [key, value] of filtersToSearchParams({ ...filters, range: undefined, from: undefined, to: undefined, tz: undefined })) {
    parts.push(`${key}-${value}`);
  }
  const name = parts
    .filter(Boolean)
    .join("_")
    .replace(/[^\p{L}\p{N}+.,=-]+/gu, "_")
    .slice(0, 180);
  return `${name}.csv`;
}
