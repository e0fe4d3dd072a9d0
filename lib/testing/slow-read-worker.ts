import type Database from "better-sqlite3";
import { READS } from "@/lib/read/reads";
import { serveReads, type Read } from "@/lib/read/serve";

/**
 * A read worker (ReadPoolOptions.workerEntry) serving every read plus a deliberately slow one,
 * to show what a slow read may and may not hold up.
 *
 * slowCount counts to `steps` inside ONE SQLite statement (a recursive CTE): the worker thread
 * is held in native code the whole time, like a long scan. It reports when it ran, by the
 * process's clock.
 */
const slowCount = (db: Database.Database, a: { steps: number }) => {
  const startedAt = Date.now();
  const count = db.prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) FROM c").pluck().get(a.steps) as number;
  return { count, startedAt, endedAt: Date.now() };
};

serveReads({ ...(READS as unknown as Record<string, Read>), slowCount: slowCount as Read });
