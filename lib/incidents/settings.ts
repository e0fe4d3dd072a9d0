import type Database from "better-sqlite3";
import { z } from "zod";
import { getDb } from "@/db/client";
import { recordAudit } from "@/lib/auth/audit";
import { parseInput } from "@/lib/validate";
import type { ActingUser } from "./apply";

const AUTO_RESOLVE_KEY = "incidents.autoResolveAfterHours";
export const DEFAULT_AUTO_RESOLVE_HOURS = 24;
export const MAX_AUTO_RESOLVE_HOURS = 720;

export interface IncidentSettings {
  /** Open and acknowledged incidents whose latest failure (event time) is older are resolved by the server; null = never. */
  autoResolveAfterHours: number | null;
}

const settingsSchema = z
  .object({
    autoResolveAfterHours: z.union(
      [
        z
          .number()
          .int(`must be a whole number of hours, 1–${MAX_AUTO_RESOLVE_HOURS}, or null`)
          .min(1, `must be 1–${MAX_AUTO_RESOLVE_HOURS} or null`)
          .max(MAX_AUTO_RESOLVE_HOURS, `must be 1–${MAX_AUTO_RESOLVE_HOURS} or null`),
        z.null(),
      ],
      { message: `must be a whole number of hours, 1–${MAX_AUTO_RESOLVE_HOURS}, or null` },
    ),
  })
  .strict();

/** The incident settings (defaults when never set). */
export function getIncidentSettings(sqlite: Database.Database = getDb().sqlite): IncidentSettings {
  const stored = sqlite.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(AUTO_RESOLVE_KEY) as string | undefined;
  return { autoResolveAfterHours: stored === undefined ? DEFAULT_AUTO_RESOLVE_HOURS : (JSON.parse(stored) as number | null) };
}

/** Body {"autoResolveAfterHours": null | 1..720} (admins); audited. Returns the settings now in effect. */
export function updateIncidentSettings(body: unknown, by: ActingUser, now = Date.now()): IncidentSettings {
  const input = parseInput(settingsSchema, body);
  const handle = getDb();
  handle.sqlite.transaction(() => {
    handle.sqlite
      .prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
      .run(AUTO_RESOLVE_KEY, JSON.stringify(input.autoResolveAfterHours), now);
    const detail = input.autoResolveAfterHours === null ? "auto-resolve off" : `auto-resolve after ${input.autoResolveAfterHours} h`;
    recordAudit(handle.db, { actor: by.actor, action: "incident_settings_changed", target: "incident settings", detail, ip: by.ip, at: now });
  })();
  return getIncidentSettings(handle.sqlite);
}
