import { z } from "zod";
import { filtersToSearchParams, isoInstant, parseFilters, resolveWindow, type Filters, type TimeWindow } from "@/lib/filters";
import { parseQuery } from "@/lib/validate";

/** Parameters of every /api/…/export route beside the shared filters. */
const flag = z.enum(["0", "1"], { message: "must be 0 or 1" }).optional().transform((v) => v === "1");

export const CONTACT_LISTS = ["retry", "suppress"] as const;
export type ContactList = (typeof CONTACT_LISTS)[number];

const exportOptionsSchema = z.object({
  /** `bom=1`: start with a UTF-8 byte order mark, so Excel reads the file as UTF-8. */
  bom: flag,
  /**
   * `gzip=1`: the file gzip-compressed (`.csv.gz`, about 5× smaller), compressed by the export's
   * worker thread at the read threads' lower priority.
   */
  gzip: flag,
  /** `count=1`: answer `{ rows, at }` (what the download would hold) instead of the CSV. */
  count: flag,
  /**
   * `quick=1` (with `count=1`, contact lists): `rows` is null instead of a count that would read
   * more than EXACT_CONTACTS_LIMIT failures (lib/export/contacts.ts) — a label never waits on it.
   */
  quick: flag,
  /**
   * `at` (ISO 8601): the instant a preset window ends, instead of now. The download passes the
   * count's `at`, so the file holds the window that was counted, not one that slid meanwhile.
   */
  at: isoInstant,
});

export interface ExportRequest {
  filters: Filters;
  window: TimeWindow;
  bom: boolean;
  gzip: boolean;
  count: boolean;
  quick: boolean;
  /** The instant "now" meant for this request's window (answered with `count=1`). */
  at: number;
}

/** The filters and export options of an export URL; 400 naming the parameter when one is bad. */
export function parseExportRequest(params: URLSearchParams, now = Date.now()): ExportRequest {
  const filters = parseFilters(params);
  const { at, ...options } = parseQuery(exportOptionsSchema, params);
  const instant = at === undefined ? now : Date.parse(at);
  return { filters, window: resolveWindow(filters, instant), ...options, at: instant };
}

/** `list=retry|suppress` of the contacts export (required). */
export function parseContactList(params: URLSearchParams): ContactList {
  return parseQuery(z.object({ list: z.enum(CONTACT_LISTS, { message: `must be one of ${CONTACT_LISTS.join(", ")}` }) }), params).list;
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
