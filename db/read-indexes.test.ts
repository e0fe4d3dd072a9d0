import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFilters } from "@/lib/filters";
import { type CountDimension, failureCounts } from "@/lib/queries/counts";
import { DAY, loadFailureDataset, mixIncidentStatuses } from "@/lib/testing/failure-dataset";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { getDb } from "./client";
import { inSqliteSnapshot } from "./snapshot";

// SQLite's own read indexes. Migration day_key_indexes: a long window's total per line or template
// reads the key index in order (a scan, or a skip-scan per key) instead of sorting the window's
// rows. Migration cube_incidents: a status filter tests each cube row's incident id against one
// list of its incidents' ids, read once by status (an index that starts with it).

const temp = setupTempDatabase();
const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);

beforeAll(() => {
  loadFailureDataset({ now: NOW, seed: 7, count: 6000 });
  mixIncidentStatuses();
  // As the server does at start and every few hours: statistics for the tables that grew.
  getDb().sqlite.pragma("optimize");
});
afterAll(() => temp.cleanup());

/**
 * The query plan of the statement that counts [from, NOW) per `dim` alone (as the overview's
 * breakdowns do) from `dim`'s daily rollup (under `query`'s filters: the daily cube), with its
 * parameters (SQLite weighs their values).
 */
function dayRollupPlans(sqlite: Database.Database, dim: CountDimension, from: number, query = ""): string[] {
  const runs: Array<{ sql: string; params: unknown[] }> = [];
  // Every statement's `all` (statements are prepared once per connection and kept).
  const statements = Object.getPrototypeOf(sqlite.prepare("SELECT 1")) as Database.Statement;
  const all = statements.all;
  statements.all = function (this: Database.Statement, ...params: unknown[]) {
    runs.push({ sql: this.source, params });
    return all.apply(this, params);
  } as typeof all;
  try {
    const counts = inSqliteSnapshot(sqlite, (dialect) => failureCounts(dialect, parseFilters(new URLSearchParams(query)), from, NOW, dim, undefined, false));
    expect(counts.length).toBeGreaterThan(1);
  } finally {
    statements.all = all;
  }
  return runs
    .filter((run) => run.sql.includes(query ? "rollup_day " : `rollup_day_${dim} `))
    .flatMap((run) => (sqlite.prepare(`EXPLAIN QUERY PLAN ${run.sql}`).all(...run.params) as Array<{ detail: string }>).map((row) => row.detail));
}

describe("the daily line and template rollups' key indexes", () => {
  for (const dim of ["line", "template"] as const) {
    it(`total 90 days per ${dim} in the key index's order, without sorting the window's rows`, () => {
      const { sqlite } = getDb();
      const keyIndex = `rollup_day_${dim}_key_idx`;
      expect(dayRollupPlans(sqlite, dim, NOW - 90 * DAY).join("\n")).toContain(`r USING COVERING INDEX ${keyIndex}`);
    });
  }
});

describe("the cube's incident ids", () => {
  it("let a status filter read its incidents once, not each daily cube row's incident", () => {
    const plan = dayRollupPlans(getDb().sqlite, "line", NOW - 90 * DAY, "status=resolved").join("\n");
    expect(plan).toMatch(/LIST SUBQUERY \d+\n.*SEARCH with_status USING (COVERING )?INDEX incidents_\w+_idx \(status=\?\)/);
    expect(plan).not.toContain("CORRELATED");
  });
});
