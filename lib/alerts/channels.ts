import { randomBytes } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import { getDb, type Db } from "@/db/client";
import { alertChannels, alertDeliveries } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/auth/audit";
import { DeliveryFailedError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { DEFAULT_LOCALE, isLocale, type Locale } from "@/lib/i18n/locales";
import { getUserLocale } from "@/lib/i18n/user-locale";
import { parseInput } from "@/lib/validate";
import { testNotification } from "./notification";
import { newDeliveryId } from "./outbox";
import { channelPatchSchema, channelSchema, type ChannelType } from "./rule-schema";
import { sendMessage } from "./send";

/** Who changes alert settings, from where (for the audit log), and when. */
export interface AlertsActor {
  actor: Actor;
  ip: string | null;
  now?: number;
}

/** A channel failing this long is flagged to admins. */
export const FAILING_FLAG_MS = 24 * 3_600_000;

export interface ChannelSummary {
  id: number;
  name: string;
  type: ChannelType;
  /** The receiver's URL with its secret parts masked; null for e-mail. */
  url: string | null;
  to: string[] | null;
  /** The language its messages are written in. */
  locale: Locale;
  enabled: boolean;
  disabledReason: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  failingSince: string | null;
  /** Failing for 24 h or more: shown as a banner to admins. */
  failing: boolean;
  createdAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `https://hooks.slack.com/…/XyZ9`: enough to tell URLs apart, never enough to post to them. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    const tail = (u.pathname + u.search).replace(/\/+$/, "");
    return `${u.protocol}//${u.host}/…${tail.length > 4 ? tail.slice(-4) : ""}`;
  } catch {
    return "…";
  }
}

type ChannelRecord = typeof alertChannels.$inferSelect;

function summarize(c: ChannelRecord, now: number): ChannelSummary {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    url: c.url === null ? null : maskUrl(c.url),
    to: c.recipients === null ? null : (JSON.parse(c.recipients) as string[]),
    locale: isLocale(c.locale) ? c.locale : DEFAULT_LOCALE,
    enabled: c.enabled,
    disabledReason: c.disabledReason,
    lastSuccessAt: iso(c.lastSuccessAt),
    lastErrorAt: iso(c.lastErrorAt),
    lastError: c.lastError,
    failingSince: iso(c.failingSince),
    failing: c.failingSince !== null && now - c.failingSince >= FAILING_FLAG_MS,
    createdAt: iso(c.createdAt)!,
  };
}

const channelTarget = (c: { id: number; name: string }) => `alert channel #${c.id} "${c.name}"`;

const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

function findChannel(db: Db, id: number): ChannelRecord {
  const row = db.select().from(alertChannels).where(eq(alertChannels.id, id)).get();
  if (!row) throw new NotFoundError(`No alert channel with id ${id}.`);
  return row;
}

/**
 * Creates a channel; a webhook channel's signing secret is in the answer, once. Its messages are
 * written in `locale` when given, else in the creating admin's language, else English.
 */
export function createChannel(input: unknown, by: AlertsActor, db: Db = getDb().db): ChannelSummary & { secret?: string } {
  const c = parseInput(channelSchema, input);
  const now = by.now ?? Date.now();
  const locale = c.locale ?? (by.actor.id ? getUserLocale(db, by.actor.id) : null) ?? DEFAULT_LOCALE;
  const secret = c.type === "webhook" ? newSigningSecret() : null;
  const row = db.transaction((tx) => {
    const inserted = tx
      .insert(alertChannels)
      .values({
        name: c.name,
        type: c.type,
        url: c.type === "email" ? null : c.url,
        recipients: c.type === "email" ? JSON.stringify(c.to) : null,
        secret,
        locale,
        enabled: c.enabled,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    recordAudit(tx, { actor: by.actor, action: "alert_channel_created", target: channelTarget(inserted), detail: inserted.type, ip: by.ip, at: now });
    return inserted;
  });
  return secret ? { ...summarize(row, now), secret } : summarize(row, now);
}

export function listChannels(now = Date.now(), db: Db = getDb().db): ChannelSummary[] {
  return db
    .select()
    .from(alertChannels)
    .orderBy(desc(alertChannels.id))
    .all()
    .map((c) => summarize(c, now));
}

/** Renames, pauses (`enabled: false`), resumes, re-points a channel, or changes its language. */
export function updateChannel(id: number, input: unknown, by: AlertsActor, db: Db = getDb().db): ChannelSummary {
  const patch = parseInput(channelPatchSchema, input);
  const now = by.now ?? Date.now();
  const current = findChannel(db, id);
  if (patch.url !== undefined && current.type === "email") throw new InvalidInputError("url does not apply to e-mail channels", [{ path: "url", message: "not for e-mail channels" }]);
  if (patch.to !== undefined && current.type !== "email") throw new InvalidInputError("to applies to e-mail channels only", [{ path: "to", message: "e-mail channels only" }]);
  const row = db.transaction((tx) => {
    const updated = tx
      .update(alertChannels)
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.to !== undefined && { recipients: JSON.stringify(patch.to) }),
        ...(patch.locale !== undefined && { locale: patch.locale }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        // Whoever changes it by hand takes over from the server's own 410 pause and failure flag.
        ...((patch.enabled === true || patch.url !== undefined) && { disabledReason: null, failingSince: null }),
        updatedAt: now,
      })
      .where(eq(alertChannels.id, id))
      .returning()
      .get()!;
    recordAudit(tx, { actor: by.actor, action: "alert_channel_changed", target: channelTarget(updated), detail: Object.keys(patch).join(", "), ip: by.ip, at: now });
    return updated;
  });
  return summarize(row, now);
}

/** Deletes a channel; what was still waiting for it is marked failed. */
export function deleteChannel(id: number, by: AlertsActor, db: Db = getDb().db): void {
  db.transaction((tx) => {
    const deleted = tx.delete(alertChannels).where(eq(alertChannels.id, id)).returning().get();
    if (!deleted) throw new NotFoundError(`No alert channel with id ${id}.`);
    recordAudit(tx, { actor: by.actor, action: "alert_channel_deleted", target: channelTarget(deleted), ip: by.ip, at: by.now ?? Date.now() });
    tx.update(alertDeliveries)
      .set({ status: "failed", lastError: "channel deleted" })
      .where(eq(alertDeliveries.channelId, id))
      .run();
  });
}

/** A new signing secret for a webhook channel (the old one stops signing at once). */
export function rotateChannelSecret(id: number, by: AlertsActor, db: Db = getDb().db): { secret: string } {
  const now = by.now ?? Date.now();
  const current = findChannel(db, id);
  if (current.type !== "webhook") throw new InvalidInputError("Only webhook channels have a signing secret.", [{ path: "id", message: "not a webhook channel" }], "invalid_input");
  const secret = newSigningSecret();
  db.transaction((tx) => {
    tx.update(alertChannels).set({ secret, updatedAt: now }).where(eq(alertChannels.id, id)).run();
    recordAudit(tx, { actor: by.actor, action: "alert_channel_secret_rotated", target: channelTarget(current), ip: by.ip, at: now });
  });
  return { secret };
}

/**
 * Sends a test notification now and answers the receiver's status; DeliveryFailedError when it
 * refused or could not be reached. Recorded in the delivery log either way.
 */
export async function testChannel(id: number, now = Date.now(), db: Db = getDb().db): Promise<{ ok: true; status: number }> {
  const channel = findChannel(db, id);
  const deliveryId = newDeliveryId();
  const notification = testNotification(now);
  const result = await sendMessage(channel, { id: deliveryId, notifications: [notification] }, now);
  const done = Date.now();
  db.transaction((tx) => {
    tx.insert(alertDeliveries)
      .values({
        id: deliveryId,
        ruleId: null,
        channelId: id,
        type: "test",
        payload: JSON.stringify(notification),
        status: result.ok ? "delivered" : "failed",
        attempts: 1,
        nextAttemptAt: now,
        firstAttemptAt: now,
        lastError: result.ok ? null : result.error,
        createdAt: now,
        deliveredAt: result.ok ? done : null,
      })
      .run();
    tx.update(alertChannels)
      .set(result.ok ? { lastSuccessAt: done, failingSince: null } : { lastError: result.error, lastErrorAt: done })
      .where(eq(alertChannels.id, id))
      .run();
  });
  if (!result.ok) throw new DeliveryFailedError(`The receiver did not accept the test: ${result.error}`);
  return { ok: true, status: result.status };
}
