import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { getSettings } from "@/lib/config";
import { LOCK_WAIT_MS, type Engine } from "./engine";
import type pg from "pg";
import { openPgPool } from "./pg/connection";
import { PgEngine } from "./pg/engine";
import * as schema from "./schema";
import { SqliteEngine } from "./sqlite/engine";
import { registerStorageFunctions } from "./storage-functions";

export type Db = BetterSQLite3Database<typeof schema>;
export interface DbHandle {
  sqlite: Database.Database;
  db: Db;
}

const migrationsFolder = () => path.join(process.cwd(), "db", "migrations");

/**
 * Opens (creating if needed) a SQLite database, sets the pragmas every connection needs, and
 * applies pending migrations. Safe to call on an up-to-date database.
 */
export function openDatabase(file: string): DbHandle {
  if (file !== ":memory:") restrictToOwner(file);
  const sqlite = openConnection(file);
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: migrationsFolder() });
  return { sqlite, db };
}

/**
 * A read-write connection with the pragmas and functions every writer needs, on a database that
 * may not be migrated yet (openDatabase migrates; the ingest worker opens one already migrated).
 */
export function openConnection(file: string, options?: Database.Options): Database.Database {
  const sqlite = new Database(file, options);
  sqlite.pragma("journal_mode = WAL");
  // FULL: a commit is on disk before we answer 2xx. Ingest groups many requests per commit.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  // Savepoints and sorts in memory, not temp files: durability is unchanged (only the WAL counts).
  sqlite.pragma("temp_store = MEMORY");
  sqlite.pragma("foreign_keys = ON");
  registerStorageFunctions(sqlite);
  return sqlite;
}

/** Owner read/write only: the database holds customers' phone numbers and every secret. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the database file owner-only (and tightens an existing one), before SQLite opens it:
 * SQLite gives the -wal and -shm files the database file's mode, so they follow. An existing file
 * is never opened here: closing any descriptor of a file drops all of this process's POSIX locks
 * on it, including those of a SQLite connection already open on it (the other bundle's).
 */
function restrictToOwner(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  try {
    fs.closeSync(fs.openSync(file, "wx", PRIVATE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(f) && (fs.statSync(f).mode & 0o777) !== PRIVATE_FILE_MODE) fs.chmodSync(f, PRIVATE_FILE_MODE);
  }
}

let handle: DbHandle | undefined;

/**
 * The process-wide connection, opened lazily (never at module load: `next build` imports routes).
 * Refused on DATABASE_URL: code not yet on the engine fails loudly there instead of creating and
 * reading an empty SQLite file.
 */
export function getDb(): DbHandle {
  if (!handle && getSettings().DATABASE_URL) throw new Error("DATABASE_URL selects PostgreSQL: the SQLite database at DATABASE_PATH is not opened");
  handle ??= openDatabase(getSettings().DATABASE_PATH);
  return handle;
}

/**
 * A second read-write connection for background work on the server's thread (the alerts
 * dispatcher and evaluator). Its commits skip the fsync (synchronous=NORMAL): what it records —
 * a delivery's outcome, a timed rule's notification — may be lost only to a power cut, which
 * means a notification sent again under its same id or re-evaluated, never a lost event; and the
 * webhook's fsync-bound commits do not pay for one more fsync per notification. Used from the
 * same thread as the main connection, so the two never wait on each other's locks.
 */
export function openBackgroundConnection(): Database.Database {
  getDb(); // migrated before use
  const sqlite = new Database(getSettings().DATABASE_PATH, { fileMustExist: true });
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  sqlite.pragma("temp_store = MEMORY");
  sqlite.pragma("foreign_keys = ON");
  return sqlite;
}

let engine: Engine | undefined;

// The PostgreSQL pool, one per database URL per process: the server's bundle and Next's (each has
// its own copy of this module, and of PgEngine: `instanceof` must see its own) wrap the same pool,
// so the server's shutdown closes the pool every bundle uses.
const PG_POOLS = Symbol.for("faultline.pgPools");
type WithPgPools = typeof globalThis & { [PG_POOLS]?: Map<string, pg.Pool> };

function sharedPgPool(url: string): pg.Pool {
  const byUrl = ((globalThis as WithPgPools)[PG_POOLS] ??= new Map());
  let pool = byUrl.get(url);
  if (!pool) byUrl.set(url, (pool = openPgPool(url)));
  return pool;
}

/**
 * The process-wide engine, opened lazily like getDb(): a PostgreSQL pool on DATABASE_URL, else
 * SQLite on getDb()'s very connection, which the not yet converted synchronous code keeps using
 * (docs/postgresql.md, "Converting lib/").
 */
export function getEngine(): Engine {
  const url = getSettings().DATABASE_URL;
  engine ??= url ? new PgEngine(sharedPgPool(url)) : new SqliteEngine(getDb().sqlite);
  return engine;
}

/**
 * Points getEngine() at another engine, or back at the configured one (undefined): for test
 * files that run the same tests on both engines. The caller closes the engine it replaces.
 */
export function setEngine(next: Engine | undefined): void {
  engine = next;
}

/** Closes the process-wide engine (a PostgreSQL pool would keep a command-line script running) and connection. */
export async function closeEngine(): Promise<void> {
  const open = engine;
  engine = undefined;
  if (open instanceof PgEngine) {
    const byUrl = (globalThis as WithPgPools)[PG_POOLS];
    for (const [url, pool] of byUrl ?? []) if (pool === open.pool) byUrl!.delete(url);
    await open.close();
  }
  closeDb();
}

/** Closes the process-wide connection (graceful shutdown, tests). */
export function closeDb(): void {
  if (engine instanceof SqliteEngine) engine = undefined;
  if (!handle) return;
  handle.sqlite.close();
  handle = undefined;
}
