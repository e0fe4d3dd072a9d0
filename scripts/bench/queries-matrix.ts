// The query benchmark's matrix, for both engines (queries.ts over HTTP on SQLite, queries-postgres.ts
// through the read path on PostgreSQL): its windows, its filters and their targets.
import type Database from "better-sqlite3";
import { codesOf } from "@/lib/reasons";

export const WINDOWS = { "24h": 86_400_000, "7d": 7 * 86_400_000, "90d": 90 * 86_400_000 } as const;
export type WindowName = keyof typeof WINDOWS;
export const FILTERED_P95_TARGET_MS = 100;
export const UNFILTERED_P95_TARGET_MS = 50;
/** The targets are judged at this many failures. */
export const TARGET_ROWS = 10_000_000;

/** A filter of the matrix: its URL parameters and the same meaning spelled out for plain SQL. */
export interface MatrixFilter {
  name: string;
  query: string;
  tz: string;
  reasons?: string[];
  lines?: string[];
  templates?: string[];
  statuses?: string[];
  phone?: string;
}

/** The filters of the matrix, their values (the busiest line, template, number…) picked from the rows of `from`…`to`. */
export function matrixFilters(raw: Database.Database, from: number, to: number): MatrixFilter[] {
  const top = (sql: string) => (raw.prepare(sql).get(from, to) as { v: string }).v;
  const line = top("SELECT line AS v FROM failures WHERE occurred_at >= ? AND occurred_at < ? AND line <> '' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1");
  const template = top("SELECT template AS v FROM failures WHERE occurred_at >= ? AND occurred_at < ? AND template <> '' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1");
  const lineTemplate = raw
    .prepare("SELECT template AS v FROM failures WHERE occurred_at >= ? AND occurred_at < ? AND line = ? AND template <> ? AND template <> '' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    .get(from, to, line, template) as { v: string };
  const phone = top("SELECT phone_e164 AS v FROM failures WHERE occurred_at >= ? AND occurred_at < ? AND phone_e164 IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1");
  const digits = phone.slice(-7, -2);
  const retryLater = codesOf("retry_later");
  const enc = encodeURIComponent;
  // The campaign managers' own zone (UTC−5): its local days cross UTC days, as most users' do.
  const home = "America/Bogota";
  return [
    { name: "none", query: "", tz: home },
    { name: "reason", query: "reason=FAILURE_BY_RATE_LIMIT", tz: home, reasons: ["FAILURE_BY_RATE_LIMIT"] },
    { name: "class", query: "class=retry_later", tz: home, reasons: retryLater },
    { name: "line", query: `line=${enc(line)}`, tz: home, lines: [line] },
    { name: "template", query: `template=${enc(template)}`, tz: home, templates: [template] },
    { name: "line+template", query: `line=${enc(line)}&template=${enc(lineTemplate.v)}`, tz: home, lines: [line], templates: [lineTemplate.v] },
    { name: "status", query: "status=acknowledged", tz: home, statuses: ["acknowledged"] },
    // The status most of a long-lived database's failures belong to (open is the same read).
    { name: "status=resolved", query: "status=resolved", tz: home, statuses: ["resolved"] },
    { name: `q=${digits}`, query: `q=${digits}`, tz: home, phone: digits },
    { name: "q=3", query: "q=3", tz: home, phone: "3" },
    { name: "tz=Asia/Kolkata", query: "", tz: "Asia/Kolkata" },
    { name: "tz=Asia/Kathmandu", query: "", tz: "Asia/Kathmandu" },
  ];
}

/** A cell's query string: the window pinned (so every engine and baseline counts the same rows), the zone, the filter. */
export function cellQuery(f: MatrixFilter, from: number, to: number): string {
  return `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&tz=${encodeURIComponent(f.tz)}${f.query ? `&${f.query}` : ""}`;
}
