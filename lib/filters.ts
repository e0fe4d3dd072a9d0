import { parseAsArrayOf, parseAsString, parseAsStringLiteral } from "nuqs/server";
import { z } from "zod";
import { INCIDENT_STATUSES, type IncidentStatus } from "@/lib/incidents/statuses";
import { InvalidInputError } from "@/lib/http/errors";
import { REASON_CLASSES, REASONS, type ReasonClass } from "@/lib/reasons";
import { DAY_MS, HOUR_MS, isValidTimeZone } from "@/lib/time/zoned";
import { parseQuery, type QueryParams } from "@/lib/validate";

/**
 * THE filter schema: one definition of the dashboard's filters, parsed from URL query parameters
 * by pages, API routes, CSV export and incidents alike, so a URL is a shareable view.
 * Parameters: from, to (ISO 8601), range (1h, 24h, 7d, 30d, 90d), tz, reason, class, line,
 * template, status, q, assignee (incidents: me, none or a user id). Lists are comma-separated.
 */

export const RANGE_PRESETS = { "1h": HOUR_MS, "24h": 24 * HOUR_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS, "90d": 90 * DAY_MS } as const;
export type RangePreset = keyof typeof RANGE_PRESETS;
export const DEFAULT_RANGE: RangePreset = "24h";
/** The longest custom window (keeps every query bounded). */
export const MAX_WINDOW_MS = 400 * DAY_MS;
/** Cookie in which the browser leaves its time zone, so server-rendered pages can use it. */
export const TZ_COOKIE = "faultline_tz";
/** How unknown lines/templates (missing from the payload) are named in filters. */
export const UNKNOWN = "(unknown)";

const MAX_LIST = 100;
const csv = (max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v ? [...new Set(v.split(",").map((s) => s.trim()).filter(Boolean))] : []))
    .pipe(z.array(z.string().max(max, `values must be at most ${max} characters`)).max(MAX_LIST, `at most ${MAX_LIST} values`));

/** An ISO 8601 date-time (optional): the filters' from/to, an export's `at`. */
export const isoInstant = z
  .string()
  .optional()
  .refine((v) => v === undefined || (/^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v))), "must be an ISO 8601 date-time");

export const filtersSchema = z
  .object({
    range: z.enum(Object.keys(RANGE_PRESETS) as [RangePreset, ...RangePreset[]]).optional(),
    from: isoInstant,
    to: isoInstant,
    tz: z
      .string()
      .optional()
      .refine((v) => v === undefined || isValidTimeZone(v), "must be an IANA time zone such as America/Bogota"),
    reason: csv(100),
    class: csv(32).pipe(z.array(z.enum(REASON_CLASSES, { message: `must be one of ${REASON_CLASSES.join(", ")}` }))),
    line: csv(64),
    template: csv(512),
    status: csv(32).pipe(z.array(z.enum(INCIDENT_STATUSES, { message: `must be one of ${INCIDENT_STATUSES.join(", ")}` }))),
    q: z
      .string()
      .optional()
      .transform((v) => v?.trim() || undefined)
      .pipe(z.string().max(64, "must be at most 64 characters").optional()),
    /** Incidents assigned to the viewer (`me`), to nobody (`none`), or to the user with this id. */
    assignee: z
      .string()
      .optional()
      .transform((v) => v?.trim() || undefined)
      .pipe(z.string().max(200, "must be me, none or a user id").optional()),
  })
  .superRefine((f, ctx) => {
    if (f.from && f.to && Date.parse(f.from) >= Date.parse(f.to)) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    }
  });

export type Filters = z.infer<typeof filtersSchema>;
export const FILTER_KEYS = ["range", "from", "to", "tz", "reason", "class", "line", "template", "status", "q", "assignee"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** Parses filters from query parameters; invalid ones → InvalidInputError naming each parameter. */
export function parseFilters(params: QueryParams): Filters {
  return parseQuery(filtersSchema, params);
}

/** Query-string form of filters (stable key order; empty values left out). */
export function filtersToSearchParams(filters: Partial<Filters>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(","));
    } else if (value) params.set(key, value);
  }
  return params;
}

export interface TimeWindow {
  from: number;
  to: number;
  /** The preset the window came from, or null for a custom from/to. */
  preset: RangePreset | null;
}

/** The absolute window of the filters: custom from/to, else a preset ending now (default 24h). */
export function resolveWindow(filters: Pick<Filters, "range" | "from" | "to">, now: number): TimeWindow {
  if (filters.from || filters.to) {
    const to = filters.to ? Date.parse(filters.to) : now;
    const from = filters.from ? Date.parse(filters.from) : to - RANGE_PRESETS[DEFAULT_RANGE];
    if (to - from > MAX_WINDOW_MS) {
      throw new InvalidInputError("from/to span more than 400 days", [{ path: "from", message: "window longer than 400 days" }]);
    }
    return { from, to, preset: null };
  }
  const preset = filters.range ?? DEFAULT_RANGE;
  return { from: now - RANGE_PRESETS[preset], to: now, preset };
}

/**
 * The reason codes the filters allow, combining `reason` and `class` (intersection when both are
 * given); null when neither restricts reasons.
 */
export function allowedReasons(filters: Pick<Filters, "reason" | "class">): string[] | null {
  const byClass = filters.class.length
    ? REASONS.filter((r) => (filters.class as ReasonClass[]).includes(r.reasonClass)).map((r) => r.code)
    : null;
  if (!filters.reason.length) return byClass;
  const named = filters.reason.map((r) => (REASONS.some((k) => k.code === r.toUpperCase()) ? r.toUpperCase() : r));
  return byClass ? named.filter((r) => byClass.includes(r)) : named;
}

export type { IncidentStatus };

/**
 * The same parameters as nuqs parsers, for client components that keep filters in the URL.
 * Values are validated by `filtersSchema` wherever they are used on the server.
 */
export const filterUrlParsers = {
  range: parseAsStringLiteral(Object.keys(RANGE_PRESETS) as RangePreset[]),
  from: parseAsString,
  to: parseAsString,
  tz: parseAsString,
  reason: parseAsArrayOf(parseAsString, ","),
  class: parseAsArrayOf(parseAsStringLiteral(REASON_CLASSES), ","),
  line: parseAsArrayOf(parseAsString, ","),
  template: parseAsArrayOf(parseAsString, ","),
  status: parseAsArrayOf(parseAsStringLiteral(INCIDENT_STATUSES), ","),
  q: parseAsString,
  assignee: parseAsString,
};
