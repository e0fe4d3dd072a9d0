import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import type { Queryable } from "@/db/engine";

/**
 * The `settings` table (key → text value) through the engine, for the stores built on it
 * (incident settings, re-deployment settings). Pass a transaction's `tx` to write a setting
 * together with its audit entry.
 */
export async function readSetting(q: Queryable, key: string): Promise<string | undefined> {
  return (await q.one<{ value: string }>("SELECT value FROM settings WHERE key = ?", [key]))?.value;
}

export async function writeSetting(q: Queryable, key: string, value: string, now: number): Promise<void> {
  await q.exec("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", [
    key,
    value,
    now,
  ]);
}

export async function deleteSetting(q: Queryable, key: string): Promise<void> {
  await q.exec("DELETE FROM settings WHERE key = ?", [key]);
}

/**
 * A random secret kept under `key`, generated on first use: read first (the common case takes no
 * write lock), else inserted unless another process or instance did so meanwhile, then re-read,
 * so every instance ends up with the one stored first.
 */
export async function ensureGeneratedSetting(q: Queryable, key: string, now = Date.now()): Promise<string> {
  const stored = await readSetting(q, key);
  if (stored !== undefined) return stored;
  await q.exec("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", [key, randomBytes(32).toString("base64url"), now]);
  return (await readSetting(q, key))!;
}

/**
 * readSetting synchronously on a SQLite connection, for what is still synchronous SQLite: the
 * webhook's caches before the engine has loaded them.
 */
export function readSettingIn(sqlite: Database.Database, key: string): string | undefined {
  return sqlite.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(key) as string | undefined;
}

/** A random secret kept under `key`: generated on first use (a concurrent first use keeps the one stored first). */
export function ensureGeneratedSettingIn(sqlite: Database.Database, key: string): string {
  sqlite.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING").run(key, randomBytes(32).toString("base64url"));
  return readSettingIn(sqlite, key)!;
}
