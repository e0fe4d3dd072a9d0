import pg from "pg";
import { LOCK_WAIT_MS } from "../engine";

/**
 * int8 (ids, epoch-ms times, count(*), sum of integers) and numeric (sum of bigints) arrive as JS
 * numbers, as SQLite's integers do, so rows read the same from either engine. Every such value here
 * stays far below 2^53 (epoch ms until year 287396, ids and counts alike).
 */
const NUMBER_TYPES = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);

export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    NUMBER_TYPES.has(oid) && format !== "binary" ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * A pool on `url` whose clients parse numbers as above. A statement waiting on another session's
 * lock (a row another instance is writing, a `LOCK TABLE` during maintenance) gives up after
 * LOCK_WAIT_MS with 55P03, answered as an outage (503) like SQLite's busy_timeout.
 */
export function openPgPool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: url, max, types: pgTypes, lock_timeout: LOCK_WAIT_MS });
}

/** One connection on `url` (migrations and copies hold one session for their advisory lock). */
export async function connectPg(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: pgTypes });
  await client.connect();
  return client;
}

/** The URL without its password, for logs and messages. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
