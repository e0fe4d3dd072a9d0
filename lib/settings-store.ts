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
