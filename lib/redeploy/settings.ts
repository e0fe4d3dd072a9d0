import { z } from "zod";
import { getEngine } from "@/db/client";
import { appendAudit } from "@/lib/auth/audit";
import { getSettings } from "@/lib/config";
import { ConflictError } from "@/lib/http/errors";
import type { ActingUser } from "@/lib/incidents/apply";
import { deleteSetting, readSetting, writeSetting } from "@/lib/settings-store";
import { parseInput } from "@/lib/validate";
import { open, seal } from "./secret-box";

const ENABLED_KEY = "redeploy_enabled";
const API_KEY_KEY = "treble_api_key";
const PURPOSE = "treble-api-key";

export type ApiKeySource = "env" | "settings" | "none";

export interface RedeploySettings {
  /** False once an admin turned the feature off. */
  enabled: boolean;
  apiKey: {
    source: ApiKeySource;
    /** e.g. `ak_…a1b2`; null without a key. */
    masked: string | null;
    /** A key is stored but cannot be read with the current SECRET_KEY. */
    unreadable: boolean;
  };
  /** Whether an admin can store a key here (SECRET_KEY is set). */
  canStoreKey: boolean;
  apiUrl: string;
  maxContacts: number;
}

/** Shows a key's kind and its last 4 characters only. */
export function maskApiKey(key: string): string {
  const prefix = /^[a-z]{2}_/i.test(key) ? key.slice(0, 3) : "";
  return `${prefix}…${key.slice(-4)}`;
}

/** The key calls are made with: TREBLE_API_KEY, else the one stored in Settings (decrypted). */
export async function trebleApiKey(): Promise<{ key: string | null; source: ApiKeySource; unreadable: boolean }> {
  const fromEnv = getSettings().TREBLE_API_KEY;
  if (fromEnv) return { key: fromEnv, source: "env", unreadable: false };
  const sealed = await readSetting(getEngine(), API_KEY_KEY);
  if (!sealed) return { key: null, source: "none", unreadable: false };
  const secretKey = getSettings().SECRET_KEY;
  const key = secretKey ? open(sealed, secretKey, PURPOSE) : null;
  return key ? { key, source: "settings", unreadable: false } : { key: null, source: "none", unreadable: true };
}

export async function isRedeployEnabled(): Promise<boolean> {
  return (await readSetting(getEngine(), ENABLED_KEY)) !== "false";
}

export async function redeploySettings(): Promise<RedeploySettings> {
  const { key, source, unreadable } = await trebleApiKey();
  const settings = getSettings();
  return {
    enabled: await isRedeployEnabled(),
    apiKey: { source, masked: key ? maskApiKey(key) : null, unreadable },
    canStoreKey: settings.SECRET_KEY !== undefined,
    apiUrl: settings.TREBLE_API_URL,
    maxContacts: settings.REDEPLOY_MAX_CONTACTS,
  };
}

/**
 * Throws ConflictError (409) unless plans can be made and sent: the feature is on and an API key
 * is available. Checked by the lib verbs themselves, not only by the UI.
 */
export async function requireRedeployAvailable(): Promise<string> {
  if (!(await isRedeployEnabled())) throw new ConflictError("Re-deployment is disabled by an admin (Settings → Re-deployment).");
  const { key, unreadable } = await trebleApiKey();
  if (!key) {
    throw new ConflictError(
      unreadable
        ? "The Treble API key stored in Settings cannot be decrypted with the current SECRET_KEY; an admin must enter it again."
        : "No Treble API key: set TREBLE_API_KEY or have an admin enter it under Settings → Re-deployment.",
    );
  }
  return key;
}

const updateSchema = z
  .object({
    enabled: z.boolean({ message: "must be true or false" }).optional(),
    /** A new key; null or "" removes the stored one. */
    apiKey: z
      .string({ message: "must be a string" })
      .trim()
      .max(512, "must be at most 512 characters")
      .regex(/^[\x21-\x7e]*$/, "must be printable ASCII without spaces")
      .nullable()
      .optional(),
  })
  .strict();

/** Admins: turn the feature on/off and store or remove the API key (encrypted with SECRET_KEY). */
export async function updateRedeploySettings(input: unknown, by: ActingUser, now = Date.now()): Promise<RedeploySettings> {
  const { enabled, apiKey } = parseInput(updateSchema, input);
  const secretKey = getSettings().SECRET_KEY;
  if (apiKey && !secretKey) throw new ConflictError("Set SECRET_KEY (at least 16 characters) so the API key can be stored encrypted, or set TREBLE_API_KEY instead.");
  await getEngine().transaction(async (tx) => {
    const changes: string[] = [];
    if (enabled !== undefined) {
      await writeSetting(tx, ENABLED_KEY, String(enabled), now);
      changes.push(enabled ? "enabled" : "disabled");
    }
    if (apiKey) {
      await writeSetting(tx, API_KEY_KEY, seal(apiKey, secretKey!, PURPOSE), now);
      changes.push(`API key set (${maskApiKey(apiKey)})`);
    } else if (apiKey !== undefined) {
      await deleteSetting(tx, API_KEY_KEY);
      changes.push("API key removed");
    }
    if (changes.length) await appendAudit(tx, { actor: by.actor, action: "redeploy_settings_changed", detail: changes.join("; "), ip: by.ip, at: now });
  });
  return redeploySettings();
}
