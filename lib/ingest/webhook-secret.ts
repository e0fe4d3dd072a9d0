import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { getDb, type DbHandle } from "@/db/client";
import { recordAudit, type Actor } from "@/lib/auth/audit";
import { getSettings } from "@/lib/config";
import { ConflictError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { WEBHOOK_GRACE_HOURS } from "./webhook-grace";

const SECRET_KEY = "webhook_secret";
/** The secret before the last rotation, with when it stops being accepted (JSON). */
const PREVIOUS_KEY = "webhook_secret_previous";
/** Secrets are re-read at most this often, so a rotation elsewhere takes effect quickly. */
const CACHE_MS = 1000;
const HOUR_MS = 3_600_000;


interface PreviousSecret {
  secret: string;
  expiresAt: number;
}

let cache: { at: number; current: string; previous: PreviousSecret | null } | undefined;

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

/**
 * ensureWebhookSecret at start, and whether this very start generated the secret: only then is the
 * full URL printed in the start log (logs are kept for long; afterwards admins see it in Settings).
 */
export function webhookSecretAtStart(handle: DbHandle): WebhookSecret & { generatedNow: boolean } {
  const existed = handle.sqlite.prepare("SELECT 1 FROM settings WHERE key = ?").get(SECRET_KEY) !== undefined;
  const secret = ensureWebhookSecret(handle);
  return { ...secret, generatedNow: secret.source === "database" && !existed };
}

/** The secret replaced by the last rotation, while it has not expired (never with WEBHOOK_SECRET). */
function previousSecret(handle: DbHandle, now: number): PreviousSecret | null {
  if (getSettings().WEBHOOK_SECRET) return null;
  const row = handle.sqlite.prepare("SELECT value FROM settings WHERE key = ?").get(PREVIOUS_KEY) as { value: string } | undefined;
  if (!row) return null;
  const previous = JSON.parse(row.value) as PreviousSecret;
  return previous.expiresAt > now ? previous : null;
}

function acceptedSecrets(handle: DbHandle, now: number): string[] {
  if (!cache || now - cache.at >= CACHE_MS || now < cache.at) {
    cache = { at: now, current: ensureWebhookSecret(handle).secret, previous: previousSecret(handle, now) };
  }
  // Expiry is checked on every call, so a cached previous secret never outlives its grace period.
  const { current, previous } = cache;
  return previous && previous.expiresAt > now ? [current, previous.secret] : [current];
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

export interface WebhookSecretStatus extends WebhookSecret {
  /** Until when the secret replaced by the last rotation is still accepted; null if it is not. */
  previousValidUntil: string | null;
}

export function webhookSecretStatus(handle: DbHandle = getDb(), now = Date.now()): WebhookSecretStatus {
  const previous = previousSecret(handle, now);
  return { ...ensureWebhookSecret(handle), previousValidUntil: previous ? new Date(previous.expiresAt).toISOString() : null };
}

const rotationSchema = z.object({
  graceHours: z.union(WEBHOOK_GRACE_HOURS.map((h) => z.literal(h)), { message: `must be one of ${WEBHOOK_GRACE_HOURS.join(", ")}` }),
});

/**
 * Replaces the database-kept secret with a new one. The old one stays valid for `graceHours`
 * (0: refused at once), so Treble's webhook center can be updated without losing events; a
 * secret from an earlier rotation is dropped. ConflictError when WEBHOOK_SECRET manages it.
 */
export function rotateWebhookSecret(
  handle: DbHandle,
  input: unknown,
  by: { actor: Actor; ip: string | null; now?: number },
): WebhookSecretStatus {
  const { graceHours } = parseInput(rotationSchema, input);
  if (getSettings().WEBHOOK_SECRET) {
    throw new ConflictError("The webhook secret is set by the WEBHOOK_SECRET environment variable: change it there and restart.");
  }
  const now = by.now ?? Date.now();
  const next = randomBytes(32).toString("base64url");
  const expiresAt = now + graceHours * HOUR_MS;
  handle.db.transaction(
    (tx) => {
      const { secret: old } = ensureWebhookSecret(handle);
      if (graceHours > 0) {
        handle.sqlite
          .prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
          .run(PREVIOUS_KEY, JSON.stringify({ secret: old, expiresAt } satisfies PreviousSecret));
      } else {
        handle.sqlite.prepare("DELETE FROM settings WHERE key = ?").run(PREVIOUS_KEY);
      }
      handle.sqlite.prepare("UPDATE settings SET value = ? WHERE key = ?").run(next, SECRET_KEY);
      const detail = graceHours > 0 ? `previous secret accepted until ${new Date(expiresAt).toISOString()}` : "previous secret refused at once";
      recordAudit(tx, { actor: by.actor, action: "webhook_secret_rotated", detail, ip: by.ip, at: now });
    },
    { behavior: "immediate" },
  );
  clearWebhookSecretCache();
  return webhookSecretStatus(handle, now);
}

export const WEBHOOK_PATH = "/api/webhooks/treble";

/** The URL to paste into Treble's webhook center. */
export function webhookUrl(base: string, secret: string): string {
  return `${base.replace(/\/$/, "")}${WEBHOOK_PATH}?token=${encodeURIComponent(secret)}`;
}
