import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { getSettings } from "@/lib/config";
import * as schema from "./schema";

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
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  // FULL: a commit is on disk before we answer 2xx. Ingest groups many requests per commit.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  // Savepoints and sorts in memory, not temp files: durability is unchanged (only the WAL counts).
  sqlite.pragma("temp_store = MEMORY");
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: migrationsFolder() });
  return { sqlite, db };
}

let handle: DbHandle | undefined;

/** The process-wide connection, opened lazily (never at module load: `next build` imports routes). */
export function getDb(): DbHandle {
  handle ??= openDatabase(getSettings().DATABASE_PATH);
  return handle;
}

/** Closes the process-wide connection (graceful shutdown, tests). */
export function closeDb(): void {
  if (!handle) return;
  handle.sqlite.close();
  handle = undefined;
}
