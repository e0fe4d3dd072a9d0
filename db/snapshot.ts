import type Database from "better-sqlite3";
import type { Dialect, Engine } from "./engine";
import { SqliteEngine, sqliteDialect } from "./sqlite/engine";
import { runSteps, runStepsOn, type Steps } from "./steps";

/**
 * Runs `build`'s steps (db/steps.ts) in one transaction on a SQLite connection, synchronously: a
 * deferred one, so reads take no write lock and see one snapshot; a write takes the lock.
 */
export function inSqliteSnapshot<T>(sqlite: Database.Database, build: (dialect: Dialect) => Steps<T>): T {
  return sqlite.transaction(() => runSteps(sqlite, build(sqliteDialect)))();
}

/**
 * Runs `build`'s steps in one snapshot on an engine: on SQLite synchronously on the engine's
 * connection (inSqliteSnapshot: a read never waits for the write lock, as the synchronous read
 * paths never did), on PostgreSQL in one repeatable-read transaction, run again from a new
 * generator after a serialization failure.
 */
export async function inSnapshot<T>(engine: Engine, build: (dialect: Dialect) => Steps<T>): Promise<T> {
  if (engine instanceof SqliteEngine) return inSqliteSnapshot(engine.sqlite, build);
  return engine.transaction((tx) => runStepsOn(tx, build(tx.dialect)), { isolation: "repeatable read" });
}
