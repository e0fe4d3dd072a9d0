import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type Database from "better-sqlite3";
import { getEngine } from "@/db/client";
import type { Engine } from "@/db/engine";
import { appendAudit } from "@/lib/auth/audit";
import { getSettings } from "@/lib/config";
import { ConflictError } from "@/lib/http/errors";
import type { ActingUser } from "@/lib/incidents/apply";
import { deleteSetting, ensureGeneratedSetting, ensureGeneratedSettingIn, readSetting, readSettingIn, writeSetting } from "@/lib/settings-store";
import { SharedCache } from "@/lib/shared-cache";
import { parseInput } from "@/lib/validate";
import { WEBHOOK_GRACE_HOURS } from "./webhook-grace";

const SECRET_KEY = "webhook_secret";
/** The secret before the last rotation, with when it stops being accepted (JSON). */
const PREVIOUS_KEY = "webhook_secret_previous";
const HOUR_MS = 3_600_000;

interface PreviousSecret {
  secret: string;
  expiresAt: number;
}

interface Secrets {
  current: string;
  /** As stored: its expiry is checked on every use, so it never outlives its grace period. */
  previous: PreviousSecret | null;
}

// Shared by the webhook listener's bundle and Next's, and re-read every second: a rotation on
// another instance reaches this one's webhook within about a second.
const secretsCache = new SharedCache<Secrets>("webhookSecrets", readSecrets);

export interface WebhookSecret {
  secret: string;
  source: "env" | "database";
}

const parsePrevious = (value: string | undefined): PreviousSecret | null => (value === undefined ? null : (JSON.parse(value) as PreviousSecret));

/**
 * The webhook secret: WEBHOOK_SECRET when set; otherwise one generated on first start and kept in
 * the database, so it survives restarts.
 */
export async function ensureWebhookSecret(now = Date.now()): Promise<WebhookSecret> {
  const fromEnv = getSettings().WEBHOOK_SECRET;
  if (fromEnv) return { secret: fromEnv, source: "env" };
  // Read first: the webhook's cache re-reads it every second, and that must not take the write lock.
  return { secret: await ensureGeneratedSetting(getEngine(), SECRET_KEY, now), source: "database" };
}

/** The accepted secrets, as stored. */
async function readSecrets(engine: Engine, now: number): Promise<Secrets> {
  const { secret: current } = await ensureWebhookSecret(now);
  const previous = getSettings().WEBHOOK_SECRET ? null : parsePrevious(await readSetting(engine, PREVIOUS_KEY));
  return { current, previous };
}

/**
 * ensureWebhookSecret at start (filling the webhook's cache before the port opens), and whether
 * this very start generated the secret: only then is the full URL printed in the start log (logs
 * are kept for long; afterwards admins see it in Settings).
 */
export async function webhookSecretAtStart(now = Date.now()): Promise<WebhookSecret & { generatedNow: boolean }> {
  const existed = (await readSetting(getEngine(), SECRET_KEY)) !== undefined;
  const { current } = await secretsCache.read(now);
  const source = getSettings().WEBHOOK_SECRET ? "env" : "database";
  return { secret: current, source, generatedNow: source === "database" && !existed };
}

/**
 * The secrets for the webhook's hot path, from memory (re-read in the background when stale). Not
 * loaded yet (route handlers called without a server start), they are read synchronously from
 * SQLite; on PostgreSQL the server loads them at start (webhookSecretAtStart).
 */
function acceptedSecrets(now: number): string[] {
  const { current, previous } = secretsCache.heldOrRead(
    now,
    (sqlite) => ({ current: ensureWebhookSecretIn(sqlite), previous: previousIn(sqlite) }),
    "The webhook secret is not loaded: await webhookSecretAtStart() at start.",
  );
  return previous && previous.expiresAt > now ? [current, previous.secret] : [current];
}

function ensureWebhookSecretIn(sqlite: Database.Database): string {
  return getSettings().WEBHOOK_SECRET || ensureGeneratedSettingIn(sqlite, SECRET_KEY);
}

function previousIn(sqlite: Database.Database): PreviousSecret | null {
  return getSettings().WEBHOOK_SECRET ? null : parsePrevious(readSettingIn(sqlite, PREVIOUS_KEY));
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time check of a presented token against every accepted secret. */
export function isValidWebhookToken(token: string, now = Date.now()): boolean {
  const given = digest(token);
  let ok = false;
  for (const secret of acceptedSecrets(now)) ok = timingSafeEqual(given, digest(secret)) || ok;
  return ok;
}

export interface WebhookSecretStatus extends WebhookSecret {
  /** Until when the secret replaced by the last rotation is still accepted; null if it is not. */
  previousValidUntil: string | null;
}

export async function webhookSecretStatus(now = Date.now()): Promise<WebhookSecretStatus> {
  const secret = await ensureWebhookSecret(now);
  const previous = getSettings().WEBHOOK_SECRET ? null : parsePrevious(await readSetting(getEngine(), PREVIOUS_KEY));
  return { ...secret, previousValidUntil: previous && previous.expiresAt > now ? new Date(previous.expiresAt).toISOString() : null };
}

const rotationSchema = z.object({
  graceHours: z.union(WEBHOOK_GRACE_HOURS.map((h) => z.literal(h)), { message: `must be one of ${WEBHOOK_GRACE_HOURS.join(", ")}` }),
});

/**
 * Replaces the database-kept secret with a new one. The old one stays valid for `graceHours`
 * (0: refused at once), so Treble's webhook center can be updated without losing events; a
 * secret from an earlier rotation is dropped. ConflictError when WEBHOOK_SECRET manages it, or
 * when another rotation replaced the secret meanwhile (its UPDATE is conditional on the old one).
 */
export async function rotateWebhookSecret(input: unknown, by: ActingUser, now = Date.now()): Promise<WebhookSecretStatus> {
  const { graceHours } = parseInput(rotationSchema, input);
  if (getSettings().WEBHOOK_SECRET) {
    throw new ConflictError("The webhook secret is set by the WEBHOOK_SECRET environment variable: change it there and restart.");
  }
  const next = randomBytes(32).toString("base64url");
  const expiresAt = now + graceHours * HOUR_MS;
  await getEngine().transaction(async (tx) => {
    const old = await ensureGeneratedSetting(tx, SECRET_KEY, now);
    const replaced = await tx.one("UPDATE settings SET value = ?, updated_at = ? WHERE key = ? AND value = ? RETURNING key", [next, now, SECRET_KEY, old]);
    if (!replaced) throw new ConflictError("The webhook secret was rotated meanwhile: reload to see the new one.");
    if (graceHours > 0) await writeSetting(tx, PREVIOUS_KEY, JSON.stringify({ secret: old, expiresAt } satisfies PreviousSecret), now);
    else await deleteSetting(tx, PREVIOUS_KEY);
    const detail = graceHours > 0 ? `previous secret accepted until ${new Date(expiresAt).toISOString()}` : "previous secret refused at once";
    await appendAudit(tx, { actor: by.actor, action: "webhook_secret_rotated", detail, ip: by.ip, at: now });
  });
  secretsCache.changed();
  await secretsCache.read(now);
  return webhookSecretStatus(now);
}

export const WEBHOOK_PATH = "/api/webhooks/treble";

/** The URL to paste into Treble's webhook center. */
export function webhookUrl(base: string, secret: string): string {
  return `${base.replace(/\/$/, "")}${WEBHOOK_PATH}?token=${encodeURIComponent(secret)}`;
}
