import { randomBytes } from "node:crypto";
import { getEngine } from "@/db/client";
import type { Param, Queryable } from "@/db/engine";
import { appendAudit, type Actor } from "@/lib/auth/audit";
import { ConflictError, DeliveryFailedError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { DEFAULT_LOCALE, isLocale, type Locale } from "@/lib/i18n/locales";
import { getUserLocale } from "@/lib/i18n/user-locale";
import { parseInput } from "@/lib/validate";
import { testNotification } from "./notification";
import { newDeliveryId } from "./outbox";
import { channelPatchSchema, channelSchema, type ChannelType } from "./rule-schema";
import { sendMessage, type ChannelTarget } from "./send";

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

/** An alert_channels row as both engines return it (flags are 0/1). */
interface ChannelRow extends ChannelTarget {
  enabled: number;
  disabled_reason: string | null;
  last_success_at: number | null;
  last_error_at: number | null;
  last_error: string | null;
  failing_since: number | null;
  created_at: number;
}

const CHANNEL_COLUMNS = "id, name, type, url, recipients, secret, locale, enabled, disabled_reason, last_success_at, last_error_at, last_error, failing_since, created_at";

function summarize(c: ChannelRow, now: number): ChannelSummary {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    url: c.url === null ? null : maskUrl(c.url),
    to: c.recipients === null ? null : (JSON.parse(c.recipients) as string[]),
    locale: isLocale(c.locale) ? c.locale : DEFAULT_LOCALE,
    enabled: c.enabled === 1,
    disabledReason: c.disabled_reason,
    lastSuccessAt: iso(c.last_success_at),
    lastErrorAt: iso(c.last_error_at),
    lastError: c.last_error,
    failingSince: iso(c.failing_since),
    failing: c.failing_since !== null && now - c.failing_since >= FAILING_FLAG_MS,
    createdAt: iso(c.created_at)!,
  };
}

const channelTarget = (c: { id: number; name: string }) => `alert channel #${c.id} "${c.name}"`;

const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

async function findChannel(q: Queryable, id: number): Promise<ChannelRow> {
  const row = await q.one<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM alert_channels WHERE id = ?`, [id]);
  if (!row) throw new NotFoundError(`No alert channel with id ${id}.`);
  return row;
}

/**
 * Creates a channel; a webhook channel's signing secret is in the answer, once. Its messages are
 * written in `locale` when given, else in the creating admin's language, else English.
 */
export async function createChannel(input: unknown, by: AlertsActor): Promise<ChannelSummary & { secret?: string }> {
  const c = parseInput(channelSchema, input);
  const now = by.now ?? Date.now();
  const secret = c.type === "webhook" ? newSigningSecret() : null;
  const row = await getEngine().transaction(async (tx) => {
    const locale = c.locale ?? (by.actor.id ? await getUserLocale(by.actor.id, tx) : null) ?? DEFAULT_LOCALE;
    const inserted = (await tx.one<ChannelRow>(
      `INSERT INTO alert_channels (name, type, url, recipients, secret, locale, enabled, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${CHANNEL_COLUMNS}`,
      [c.name, c.type, c.type === "email" ? null : c.url, c.type === "email" ? JSON.stringify(c.to) : null, secret, locale, c.enabled, now, now],
    ))!;
    await appendAudit(tx, { actor: by.actor, action: "alert_channel_created", target: channelTarget(inserted), detail: inserted.type, ip: by.ip, at: now });
    return inserted;
  });
  return secret ? { ...summarize(row, now), secret } : summarize(row, now);
}

/** Every channel, newest first. */
export async function listChannels(now = Date.now()): Promise<ChannelSummary[]> {
  const rows = await getEngine().query<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM alert_channels ORDER BY id DESC`);
  return rows.map((c) => summarize(c, now));
}

/** Renames, pauses (`enabled: false`), resumes, re-points a channel, or changes its language. */
export async function updateChannel(id: number, input: unknown, by: AlertsActor): Promise<ChannelSummary> {
  const patch = parseInput(channelPatchSchema, input);
  const now = by.now ?? Date.now();
  const sets: string[] = [];
  const params: Param[] = [];
  const set = (column: string, value: Param) => {
    sets.push(`${column} = ?`);
    params.push(value);
  };
  if (patch.name !== undefined) set("name", patch.name);
  if (patch.url !== undefined) set("url", patch.url);
  if (patch.to !== undefined) set("recipients", JSON.stringify(patch.to));
  if (patch.locale !== undefined) set("locale", patch.locale);
  if (patch.enabled !== undefined) set("enabled", patch.enabled);
  // Whoever changes it by hand takes over from the server's own 410 pause and failure flag.
  if (patch.enabled === true || patch.url !== undefined) sets.push("disabled_reason = NULL", "failing_since = NULL");
  set("updated_at", now);
  const row = await getEngine().transaction(async (tx) => {
    // A channel's type never changes: checked against the row read here, it holds for the UPDATE.
    const current = await findChannel(tx, id);
    if (patch.url !== undefined && current.type === "email") throw new InvalidInputError("url does not apply to e-mail channels", [{ path: "url", message: "not for e-mail channels" }]);
    if (patch.to !== undefined && current.type !== "email") throw new InvalidInputError("to applies to e-mail channels only", [{ path: "to", message: "e-mail channels only" }]);
    const updated = await tx.one<ChannelRow>(`UPDATE alert_channels SET ${sets.join(", ")} WHERE id = ? RETURNING ${CHANNEL_COLUMNS}`, [...params, id]);
    if (!updated) throw new NotFoundError(`No alert channel with id ${id}.`); // deleted meanwhile
    await appendAudit(tx, { actor: by.actor, action: "alert_channel_changed", target: channelTarget(updated), detail: Object.keys(patch).join(", "), ip: by.ip, at: now });
    return updated;
  });
  return summarize(row, now);
}

/** Deletes a channel; what was still waiting for it is marked failed. Rules naming it keep the id (they skip it). */
export async function deleteChannel(id: number, by: AlertsActor): Promise<void> {
  await getEngine().transaction(async (tx) => {
    const deleted = await tx.one<{ id: number; name: string }>("DELETE FROM alert_channels WHERE id = ? RETURNING id, name", [id]);
    if (!deleted) throw new NotFoundError(`No alert channel with id ${id}.`);
    await appendAudit(tx, { actor: by.actor, action: "alert_channel_deleted", target: channelTarget(deleted), ip: by.ip, at: by.now ?? Date.now() });
    await tx.exec("UPDATE alert_deliveries SET status = 'failed', last_error = 'channel deleted' WHERE channel_id = ? AND status IN ('pending', 'held')", [id]);
  });
}

/**
 * A new signing secret for a webhook channel (the old one stops signing at once). Replaces the
 * secret it read: of two rotations at once, the second answers 409 (its secret, never shown,
 * is not kept), so every secret an admin is shown is the one that signs.
 */
export async function rotateChannelSecret(id: number, by: AlertsActor): Promise<{ secret: string }> {
  const now = by.now ?? Date.now();
  const secret = newSigningSecret();
  await getEngine().transaction(async (tx) => {
    const current = await findChannel(tx, id);
    if (current.type !== "webhook") throw new InvalidInputError("Only webhook channels have a signing secret.", [{ path: "id", message: "not a webhook channel" }], "invalid_input");
    const replaced = await tx.one("UPDATE alert_channels SET secret = ?, updated_at = ? WHERE id = ? AND secret = ? RETURNING id", [secret, now, id, current.secret]);
    if (!replaced) throw new ConflictError("The channel's signing secret was rotated or the channel deleted meanwhile: reload and try again.");
    await appendAudit(tx, { actor: by.actor, action: "alert_channel_secret_rotated", target: channelTarget(current), ip: by.ip, at: now });
  });
  return { secret };
}

/**
 * Sends a test notification now and answers the receiver's status; DeliveryFailedError when it
 * refused or could not be reached. Recorded in the delivery log either way.
 */
export async function testChannel(id: number, now = Date.now()): Promise<{ ok: true; status: number }> {
  const engine = getEngine();
  const channel = await findChannel(engine, id);
  const deliveryId = newDeliveryId();
  const notification = testNotification(now);
  const result = await sendMessage(channel, { id: deliveryId, notifications: [notification] }, now);
  const done = Date.now();
  await engine.transaction(async (tx) => {
    await tx.exec(
      `INSERT INTO alert_deliveries (id, rule_id, channel_id, type, payload, status, attempts, next_attempt_at, first_attempt_at, last_error, created_at, delivered_at)
       VALUES (?, NULL, ?, 'test', ?, ?, 1, ?, ?, ?, ?, ?)`,
      [deliveryId, id, JSON.stringify(notification), result.ok ? "delivered" : "failed", now, now, result.ok ? null : result.error, now, result.ok ? done : null],
    );
    if (result.ok) await tx.exec("UPDATE alert_channels SET last_success_at = ?, failing_since = NULL WHERE id = ?", [done, id]);
    else await tx.exec("UPDATE alert_channels SET last_error = ?, last_error_at = ? WHERE id = ?", [result.error, done, id]);
  });
  if (!result.ok) throw new DeliveryFailedError(`The receiver did not accept the test: ${result.error}`);
  return { ok: true, status: result.status };
}
