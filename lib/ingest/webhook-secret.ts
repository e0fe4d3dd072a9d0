import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { DbHandle } from "@/db/client";
import { getSettings } from "@/lib/config";

const SECRET_KEY = "webhook_secret";
/** Secrets are re-read at most this often, so a rotation elsewhere takes effect quickly. */
const CACHE_MS = 1000;

let cache: { at: number; secrets: string[] } | undefined;

export interface WebhookSecret {
  secret: string;
  source: "env" | "database";
}

/**
 * The webhook secret: WEBHOOK_SECRET when set; otherwise one generated on first start and kept in
 * the database, so it survives restarts.
 */
export function ensureWebhookSecret(handle: DbHandle): WebhookSecret {
  const fromEnv = getSettings().WEBHOOK_SECRET;
  if (fromEnv) return { secret: fromEnv, source: "env" };
  const generated = randomBytes(32).toString("base64url");
  handle.sqlite.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING").run(SECRET_KEY, generated);
  const row = handle.sqlite.prepare("SELECT value FROM settings WHERE key = ?").get(SECRET_KEY) as { value: string };
  return { secret: row.value, source: "database" };
}

function acceptedSecrets(handle: DbHandle, now: number): string[] {
  if (cache && now - cache.at < CACHE_MS) return cache.secrets;
  cache = { at: now, secrets: [ensureWebhookSecret(handle).secret] };
  return cache.secrets;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time check of a presented token against every accepted secret. */
export function isValidWebhookToken(handle: DbHandle, token: string, now = Date.now()): boolean {
  const given = digest(token);
  let ok = false;
  for (const secret of acceptedSecrets(handle, now)) ok = timingSafeEqual(given, digest(secret)) || ok;
  return ok;
}

/** Forget cached secrets (after a rotation in this process, and in tests). */
export function clearWebhookSecretCache(): void {
  cache = undefined;
}
