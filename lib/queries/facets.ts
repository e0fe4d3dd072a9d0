import type Database from "better-sqlite3";
import type { Dialect } from "@/db/engine";
import { inSqliteSnapshot } from "@/db/snapshot";
import type { Steps } from "@/db/steps";
import { resolveWindow, type Filters } from "@/lib/filters";
import { failureCounts, tally, WindowEdges } from "./counts";

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
  // Three small GROUP BYs (per line, template, reason) cost less than per reason and key (counts.ts).
  const lineRows = yield* failureCounts(dialect, { ...filters, line: [] }, from, to, "line", edges, false);
  const templateRows = yield* failureCounts(dialect, { ...filters, template: [] }, from, to, "template", edges, false);
  const reasonRows = yield* failureCounts(dialect, { ...filters, reason: [], class: [] }, from, to, null, edges);
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
