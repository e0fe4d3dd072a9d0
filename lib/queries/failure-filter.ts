import { allowedReasons, UNKNOWN, type Filters } from "@/lib/filters";
import { DAY_MS, HOUR_MS } from "@/lib/time/zoned";

/**
 * SQL conditions for the non-time filters, for the raw failures table and for the rollups.
 * Values are always bound parameters.
 */
export interface Where {
  sql: string;
  params: unknown[];
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
const key = (v: string) => (v === UNKNOWN ? "" : v);

/** Digits of a phone search, or null when the query has none. */
export function phoneDigits(q: string | undefined): string | null {
  const digits = q?.replace(/\D/g, "") ?? "";
  return digits.length ? digits : null;
}

/** Whether the rollups can answer these filters (a phone search needs the raw rows). */
export function rollupsCanAnswer(filters: Filters): boolean {
  return !filters.q;
}

export function dimensionConditions(filters: Filters, cols: { reason: string; line: string; template: string }): Where {
  const parts: string[] = [];
  const params: unknown[] = [];
  const reasons = allowedReasons(filters);
  if (reasons) {
    parts.push(reasons.length ? `${cols.reason} IN (${placeholders(reasons.length)})` : "0");
    params.push(...reasons);
  }
  if (filters.line.length) {
    parts.push(`${cols.line} IN (${placeholders(filters.line.length)})`);
    params.push(...filters.line.map(key));
  }
  if (filters.template.length) {
    parts.push(`${cols.template} IN (${placeholders(filters.template.length)})`);
    params.push(...filters.template.map(key));
  }
  if (filters.status.length) {
    parts.push(
      `EXISTS (SELECT 1 FROM incidents i WHERE i.reason = ${cols.reason} AND i.line_key = ${cols.line}
         AND i.template_key = ${cols.template} AND i.status IN (${placeholders(filters.status.length)}))`,
    );
    params.push(...filters.status);
  }
  return { sql: parts.join(" AND "), params };
}

/** Conditions on `failures f` (time excluded). */
export function rawConditions(filters: Filters): Where {
  const dims = dimensionConditions(filters, {
    reason: "f.reason",
    line: "f.line",
    template: "f.template",
  });
  const parts = dims.sql ? [dims.sql] : [];
  const params = [...dims.params];
  const digits = phoneDigits(filters.q);
  if (filters.q && !digits) parts.push("0");
  else if (digits) {
    parts.push("(f.phone_e164 = ? OR f.phone_e164 LIKE ? OR f.cellphone LIKE ?)");
    params.push(`+${digits}`, `%${digits}%`, `%${digits}%`);
  }
  return { sql: parts.join(" AND "), params };
}

/**
 * Conditions on a rollup table aliased `r` that has the given dimension columns. Filters on a
 * dimension the table lacks must be answered elsewhere (the caller picks a table that has it).
 */
export function rollupConditions(filters: Filters, has: { line: boolean; template: boolean }): Where {
  return dimensionConditions(
    { ...filters, line: has.line ? filters.line : [], template: has.template ? filters.template : [], status: has.line && has.template ? filters.status : [] },
    { reason: "r.reason", line: "r.line", template: "r.template" },
  );
}

export const and = (...parts: string[]) => parts.filter(Boolean).join(" AND ") || "1";

export interface WindowParts {
  /** Sub-ranges read from the raw table (partial hours at the edges). */
  raw: Array<[number, number]>;
  /** Whole UTC hours read from hourly rollups. */
  hours: Array<[number, number]>;
  /** Whole UTC days read from daily rollups. */
  days: Array<[number, number]>;
}

const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;

/**
 * Splits [from, to) into whole UTC days, whole hours and partial-hour edges, so each part is
 * read from the smallest table that answers it exactly.
 */
export function splitWindow(from: number, to: number, useDays = true): WindowParts {
  const parts: WindowParts = { raw: [], hours: [], days: [] };
  const hourStart = ceilTo(from, HOUR_MS);
  const hourEnd = floorTo(to, HOUR_MS);
  if (hourStart >= hourEnd) {
    if (from < to) parts.raw.push([from, to]);
    return parts;
  }
  if (from < hourStart) parts.raw.push([from, hourStart]);
  if (hourEnd < to) parts.raw.push([hourEnd, to]);
  const dayStart = ceilTo(hourStart, DAY_MS);
  const dayEnd = floorTo(hourEnd, DAY_MS);
  if (useDays && dayStart < dayEnd) {
    parts.days.push([dayStart, dayEnd]);
    if (hourStart < dayStart) parts.hours.push([hourStart, dayStart]);
    if (dayEnd < hourEnd) parts.hours.push([dayEnd, hourEnd]);
  } else parts.hours.push([hourStart, hourEnd]);
  return parts;
}
