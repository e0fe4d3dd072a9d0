import type Database from "better-sqlite3";

/** Whether any webhook event was ever received (the overview onboards until one arrives). */
export function hasReceivedEvents(sqlite: Database.Database): boolean {
  return sqlite.prepare("SELECT 1 FROM raw_events LIMIT 1").get() !== undefined;
}

/** Highest failure id stored (0 when none): a client remembers it to count what arrives later. */
export function latestFailureId(sqlite: Database.Database): number {
  return sqlite.prepare("SELECT coalesce(max(id), 0) FROM failures").pluck().get() as number;
}
