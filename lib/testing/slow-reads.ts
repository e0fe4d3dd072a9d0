import type { Dialect } from "@/db/engine";
import { get, type Steps } from "@/db/steps";

/**
 * Deliberately slow reads, to show what a slow read may and may not hold up (served besides
 * READS by slow-read-worker.ts on SQLite, and by EngineReads' `reads` option on PostgreSQL).
 *
 * slowCount counts to `steps` inside ONE statement (a recursive CTE): the connection is held in
 * the database the whole time, like a long scan. It reports when it ran, by the process's clock.
 */
function* slowCount(_dialect: Dialect, a: { steps: number }): Steps<{ count: number; startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  const row = yield* get<{ n: number }>("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c", [a.steps]);
  return { count: Number(row!.n), startedAt, endedAt: Date.now() };
}

export const SLOW_READS = { slowCount: slowCount as (dialect: Dialect, args: unknown) => Steps<unknown> };

/** How long slow-start-read-worker.ts takes to start, as a cold start from source can. */
export const SLOW_START_MS = 1_500;
