import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { appendAudit } from "@/lib/auth/audit";
import { readSetting, writeSetting } from "@/lib/settings-store";
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

const fromStored = (stored: string | undefined): IncidentSettings => ({
  autoResolveAfterHours: stored === undefined ? DEFAULT_AUTO_RESOLVE_HOURS : (JSON.parse(stored) as number | null),
});

/** The incident settings (defaults when never set); `q` is a transaction's handle to read them in it (the timers). */
export async function getIncidentSettings(q: Queryable = getEngine()): Promise<IncidentSettings> {
  return fromStored(await readSetting(q, AUTO_RESOLVE_KEY));
}

/** Body {"autoResolveAfterHours": null | 1..720} (admins); audited. Returns the settings now in effect. */
export async function updateIncidentSettings(body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentSettings> {
  const input = parseInput(settingsSchema, body);
  await getEngine().transaction(async (tx) => {
    await writeSetting(tx, AUTO_RESOLVE_KEY, JSON.stringify(input.autoResolveAfterHours), now);
    const detail = input.autoResolveAfterHours === null ? "auto-resolve off" : `auto-resolve after ${input.autoResolveAfterHours} h`;
    await appendAudit(tx, { actor: by.actor, action: "incident_settings_changed", target: "incident settings", detail, ip: by.ip, at: now });
  });
  return { autoResolveAfterHours: input.autoResolveAfterHours };
}
