import type Database from "better-sqlite3";
import { logger } from "@/lib/log";
import { runPeriodically } from "./periodic";
import { HOUR_MS } from "@/lib/time/zoned";

/** How often the planner's statistics are refreshed while the server runs. */
export const OPTIMIZE_EVERY_MS = 6 * HOUR_MS;
/**
 * Rows ANALYZE samples per index: enough for the planner to choose between indexes, and short
 * (milliseconds) on the connection that also writes webhooks, whatever the table's size.
 */
const ANALYSIS_LIMIT = 1000;

/** PRAGMA optimize: re-analyzes the tables whose statistics are missing or stale. */
export function optimizeDatabase(sqlite: Database.Database, everyTable = false): void {
  sqlite.pragma(`analysis_limit = ${ANALYSIS_LIMIT}`);
  // 0x10002 at start: look at every table, not only those this connection has used.
  sqlite.pragma(everyTable ? "optimize = 0x10002" : "optimize");
}

/** Runs PRAGMA optimize now (every table) and then every OPTIMIZE_EVERY_MS; returns the stop. */
export function scheduleOptimize(sqlite: Database.Database, everyMs = OPTIMIZE_EVERY_MS): () => void {
  return runPeriodically("PRAGMA optimize", everyMs, (first) => {
    const started = Date.now();
    optimizeDatabase(sqlite, first);
    logger().debug({ ms: Date.now() - started }, "PRAGMA optimize done");
  });
}
