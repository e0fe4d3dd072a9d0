import type Database from "better-sqlite3";
import type { Dialect } from "@/db/engine";
import { inSqliteSnapshot } from "@/db/snapshot";
import type { Steps } from "@/db/steps";
import { resolveWindow, type Filters } from "@/lib/filters";
import { failureCounts, reasonsReadApart, tally, WindowEdges } from "./counts";

export interface Facets {
  lines: Array<{ line: string | null; count: number }>;
  templates: Array<{ template: string | null; count: number }>;
  reasons: Array<{ reason: string; count: number }>;
}

/**
 * Values for the filter pickers with their counts in the window. Each dimension is counted
 * under every other filter but its own, so a picker still offers the values it would add.
 */
export function* facetCounts(dialect: Dialect, filters: Filters, now: number): Steps<Facets> {
  const { from, to } = resolveWindow(filters, now);
  // Without filters the three share one reading of the window's partial hours.
  const edges = new WindowEdges(from, to);
  // Reasons count under every filter but the reason's: read apart where that reads the reason
  // rollup (counts.ts); otherwise, with no reason filter, the lines' read (no line filter either)
  // or the templates' (no template filter) counts per reason too and is that read.
  const reasonsApart = reasonsReadApart(filters);
  const reasonFilter = filters.reason.length > 0 || filters.class.length > 0;
  const reasonsFromLines = !reasonsApart && !reasonFilter && !filters.line.length;
  const reasonsFromTemplates = !reasonsApart && !reasonFilter && !reasonsFromLines && !filters.template.length;
  const lineRows = yield* failureCounts(dialect, { ...filters, line: [] }, from, to, "line", edges, reasonsFromLines);
  const templateRows = yield* failureCounts(dialect, { ...filters, template: [] }, from, to, "template", edges, reasonsFromTemplates);
  const reasonRows = reasonsFromLines
    ? lineRows
    : reasonsFromTemplates
      ? templateRows
      : yield* failureCounts(dialect, { ...filters, reason: [], class: [] }, from, to, null, edges);
  const lines = tally(lineRows, (r) => r.key);
  const templates = tally(templateRows, (r) => r.key);
  const reasons = tally(reasonRows, (r) => r.reason);
  return {
    lines: lines.map(([line, count]) => ({ line: line || null, count })),
    templates: templates.map(([template, count]) => ({ template: template || null, count })),
    reasons: reasons.map(([reason, count]) => ({ reason, count })),
  };
}

/** facetCounts on a SQLite connection (a read worker's), synchronously, in one snapshot. */
export function getFacets(sqlite: Database.Database, filters: Filters, now = Date.now()): Facets {
  return inSqliteSnapshot(sqlite, (dialect) => facetCounts(dialect, filters, now));
}
