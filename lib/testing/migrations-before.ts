import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { registerStorageFunctions } from "@/db/storage-functions";

/**
 * A copy, under `dir`, of the migrations folder without the migration tagged `…_<tag>` and those
 * after it: what a database an upgrade starts from was migrated with.
 */
export function migrationsBefore(dir: string, tag: string): string {
  const target = path.join(dir, `migrations-before-${tag}`);
  fs.cpSync(path.join(process.cwd(), "db", "migrations"), target, { recursive: true });
  const journalFile = path.join(target, "meta", "_journal.json");
  const journal = JSON.parse(fs.readFileSync(journalFile, "utf8")) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((e) => e.tag.endsWith(`_${tag}`));
  if (at <= 0) throw new Error(`No migration tagged ${tag} after the first`);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return target;
}

/**
 * A new SQLite database at `file` migrated as a database an upgrade to `tag` starts from (the
 * migrations before it, copied under `dir`), with the storage functions today's code calls.
 */
export function databaseBefore(dir: string, file: string, tag: string): Database.Database {
  const sqlite = new Database(file);
  registerStorageFunctions(sqlite);
  migrate(drizzle(sqlite), { migrationsFolder: migrationsBefore(dir, tag) });
  return sqlite;
}

/**
 * The statements of the migration whose file name ends with `_<tag>.sql`, in order and without
 * their comment lines: SQLite's (db/migrations) or PostgreSQL's (db/migrations-pg).
 */
export function migrationStatements(engine: "sqlite" | "postgres", tag: string): string[] {
  const dir = path.join(process.cwd(), engine === "sqlite" ? "db/migrations" : "db/migrations-pg");
  const file = fs.readdirSync(dir).find((f) => f.endsWith(`_${tag}.sql`));
  if (!file) throw new Error(`No ${engine} migration tagged ${tag}`);
  return fs
    .readFileSync(path.join(dir, file), "utf8")
    .split("--> statement-breakpoint")
    .map((s) => s.replace(/^--.*$/gm, "").trim());
}

/** The columns later SQLite migrations add to tables that already exist (`ALTER TABLE t ADD c …`). */
const ADDED_COLUMN = /^ALTER TABLE `(\w+)` ADD `(\w+)` (.+?);?$/;

/**
 * Runs `write` (today's ingest, say) on `sqlite`, migrated before the migrations `tags`, with the
 * columns those migrations add to existing tables there for it, then drops them: the rows are
 * left as the code before would have written them (but for what the columns held).
 */
export async function withLaterColumns(sqlite: Database.Database, tags: string[], write: () => Promise<unknown>): Promise<void> {
  const added = tags.flatMap((tag) => migrationStatements("sqlite", tag).flatMap((statement) => statement.split("\n").map((line) => ADDED_COLUMN.exec(line.trim())).filter((m) => m !== null)));
  for (const [, table, column, type] of added) sqlite.exec(`ALTER TABLE \`${table}\` ADD \`${column}\` ${type}`);
  await write();
  for (const [, table, column] of added) sqlite.exec(`ALTER TABLE \`${table}\` DROP COLUMN \`${column}\``);
}
