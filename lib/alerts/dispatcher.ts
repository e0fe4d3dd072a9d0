import { randomBytes } from "node:crypto";
import type { Dialect, Engine } from "@/db/engine";
import { logger } from "@/lib/log";
import { leaseOwner } from "@/lib/ops/lease-owner";
import type { Notification } from "./notification";
import type { OutgoingMessage } from "./render";
import type { ChannelType } from "./rule-schema";
import { nextRetryAt } from "./schedule";
import { sendMessage, type ChannelTarget, type SendResult } from "./send";

/**
 * Sends the outbox. Runs on timers in the server process, never inside a webhook request: each
 * tick finds the channels with something due, and starts one turn per channel (network I/O is
 * asynchronous); a turn sends the channel's messages one after another, recording each outcome in
 * a short transaction when the receiver answers.
 *
 * Across instances (PostgreSQL), everything is claimed with a lease, never by reading alone:
 * - a turn first leases the channel (`alert_channels.lease_owner/lease_until`), so only one
 *   instance sends to a channel at a time, and releases it at the end of the turn with
 *   `lease_until` set to when the channel's next message may go: the pacing (PACING_MS) holds
 *   across instances, not only within one;
 * - each message leases its rows (`alert_deliveries.lease_owner/lease_until`) by one
 *   `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, and its outcome is written
 *   only while this instance still holds them (`AND lease_owner = ?`), clearing the lease.
 * A crashed instance's leases expire after LEASE_MS and another instance sends its rows: at least
 * once, always under the same delivery id. A send cut off by a crash or a stop is not recorded.
 */

/** Minimum spacing between two messages to one channel (Slack ≤ 1/s, Teams ≤ 4/s). */
export const PACING_MS: Record<ChannelType, number> = { slack: 1000, teams: 250, email: 0, webhook: 0 };
/** More than this many due notifications for one channel go out as one grouped message. */
export const GROUP_ABOVE = 5;
/** At most this many notifications in one grouped message. */
const GROUP_MAX = 50;
const POLL_MS = 500;
/** Messages one channel may send in one turn before others' results are recorded. */
const MAX_MESSAGES_PER_TURN = 100;
/**
 * How long a claim lasts unless renewed (every message renews the channel's and its rows'):
 * longer than one send may take (SEND_TIMEOUT_MS), so a live instance never loses it mid-send.
 */
export const LEASE_MS = 60_000;

interface DueRow {
  id: string;
  created_at: number;
  payload: string;
  status: "pending" | "held";
  group_id: string | null;
  attempts: number;
  first_attempt_at: number | null;
}

const DUE_COLUMNS = "id, payload, status, group_id, attempts, first_attempt_at, created_at";
const CHANNEL_COLUMNS = "id, name, type, url, recipients, secret, locale";
/** A lease is free when nobody holds it, it ran out, or it is the claimer's own. */
const FREE = "(lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)";

function statements(dialect: Dialect) {
  // One status at a time, so the (channel_id, status, next_attempt_at) index yields rows in order
  // and a long backlog is never sorted per send.
  const due = (status: "pending" | "held") =>
    `SELECT id FROM alert_deliveries WHERE channel_id = ? AND status = '${status}' AND next_attempt_at <= ? AND ${FREE}
     ORDER BY next_attempt_at LIMIT ? ${dialect.skipLocked}`;
  const ids = dialect.jsonArrayValues("text");
  return {
    /** Channels with something due that are free to claim (or gone: their backlog is failed). */
    dueChannels: `SELECT DISTINCT d.channel_id AS id, CASE WHEN c.id IS NULL THEN 1 ELSE 0 END AS deleted
      FROM alert_deliveries d LEFT JOIN alert_channels c ON c.id = d.channel_id
      WHERE d.status IN ('pending', 'held') AND d.next_attempt_at <= ?
        AND (c.id IS NULL OR (c.enabled = 1 AND (c.lease_until IS NULL OR c.lease_until <= ? OR c.lease_owner = ?)))`,
    /** Leases (or renews) an enabled channel for one message, reading it afresh. */
    claimChannel: `UPDATE alert_channels SET lease_owner = ?, lease_until = ?
      WHERE id IN (SELECT id FROM alert_channels WHERE id = ? AND enabled = 1 AND ${FREE} ${dialect.skipLocked})
      RETURNING ${CHANNEL_COLUMNS}`,
    /** Leases the channel's next due rows, up to `limit` of each status. */
    claimDue: `UPDATE alert_deliveries SET lease_owner = ?, lease_until = ?
      WHERE id IN (${due("pending")}) OR id IN (${due("held")})
      RETURNING ${DUE_COLUMNS}`,
    setGroup: `UPDATE alert_deliveries SET group_id = ? WHERE id IN ${ids} AND lease_owner = ?`,
    delivered: `UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL,
        first_attempt_at = coalesce(first_attempt_at, ?), lease_owner = NULL, lease_until = NULL
      WHERE id IN ${ids} AND status IN ('pending', 'held') AND lease_owner = ?`,
    attempted: `UPDATE alert_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
        first_attempt_at = coalesce(first_attempt_at, ?), lease_owner = NULL, lease_until = NULL
      WHERE id IN ${ids} AND status IN ('pending', 'held') AND lease_owner = ?`,
    channelSucceeded: `UPDATE alert_channels SET last_success_at = ?, failing_since = NULL WHERE id = ?`,
    channelFailed: `UPDATE alert_channels SET last_error = ?, last_error_at = ?, failing_since = coalesce(failing_since, ?) WHERE id = ?`,
    channelGone: `UPDATE alert_channels SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?`,
    failChannelBacklog: `UPDATE alert_deliveries SET status = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL
      WHERE channel_id = ? AND status IN ('pending', 'held')`,
    /** End of a turn: the rows claimed but not sent go back, and the channel is free once its pacing allows. */
    releaseDue: `UPDATE alert_deliveries SET lease_owner = NULL, lease_until = NULL WHERE channel_id = ? AND status IN ('pending', 'held') AND lease_owner = ?`,
    releaseChannel: `UPDATE alert_channels SET lease_owner = NULL, lease_until = ? WHERE id = ? AND lease_owner = ?`,
  };
}

export interface DispatcherOptions {
  /** The clock (tests pass their own to step through backoff and leases without waiting). */
  now?: () => number;
  pollMs?: number;
  /** The name it leases under (default: leaseOwner(engine.dialect)); tests run two instances. */
  owner?: string;
  leaseMs?: number;
}

export class AlertDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Channels this instance is in a turn with (the lease is this instance's while it sends). */
  private readonly busy = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  readonly owner: string;
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly engine: Engine,
    options: DispatcherOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? POLL_MS;
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.owner = options.owner ?? leaseOwner(engine.dialect);
    this.sql = statements(engine.dialect);
  }

  start(): void {
    const loop = async () => {
      await this.tick().catch((err: unknown) => logger().error({ err }, "alerts dispatcher tick failed"));
      if (this.stopped) return;
      this.timer = setTimeout(() => void loop(), this.pollMs);
      this.timer.unref();
    };
    void loop();
  }

  /**
   * Stops starting sends. A send under way is not recorded when it ends (the database may be
   * closing): its rows stay leased and go out again, under the same id, once the lease is free.
   */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Resolves when every turn started so far has ended. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** One pass: starts a turn for every channel with something due that no instance holds and whose pacing allows. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const channels = await this.engine.query<{ id: number; deleted: number }>(this.sql.dueChannels, [now, now, this.owner]);
    for (const { id: channelId, deleted } of channels) {
      if (deleted) {
        await this.engine.exec(this.sql.failChannelBacklog, ["channel deleted", channelId]);
        continue;
      }
      if (this.busy.has(channelId) || this.stopped) continue;
      this.busy.add(channelId);
      const work = this.dispatchChannel(channelId)
        .catch((err: unknown) => logger().error({ err, channelId }, "alert delivery failed unexpectedly"))
        .finally(() => {
          this.busy.delete(channelId);
          this.inFlight.delete(work);
        });
      this.inFlight.add(work);
    }
  }

  /**
   * One turn: sends the channel's due messages one after another while its pacing allows (a burst
   * to a webhook drains in one go rather than one message per tick), then releases it.
   */
  private async dispatchChannel(channelId: number): Promise<void> {
    let nextAllowedAt = this.now();
    try {
      for (let sent = 0; sent < MAX_MESSAGES_PER_TURN; sent++) {
        const now = this.now();
        if (this.stopped || nextAllowedAt > now) return;
        const channel = await this.engine.one<ChannelTarget>(this.sql.claimChannel, [this.owner, now + this.leaseMs, channelId, now, this.owner]);
        if (!channel) return; // disabled, deleted, or another instance's now
        const rows = await this.nextBatch(channel, now);
        if (!rows.length) return;
        nextAllowedAt = now + PACING_MS[channel.type];
        if (!(await this.send(channel, rows, now))) return;
      }
    } finally {
      if (!this.stopped) {
        await this.engine.transaction(async (tx) => {
          await tx.exec(this.sql.releaseDue, [channelId, this.owner]);
          await tx.exec(this.sql.releaseChannel, [nextAllowedAt, channelId, this.owner]);
        });
      }
    }
  }

  /** Leases the channel's due rows and picks those that go out together in its next message. */
  private async nextBatch(channel: ChannelTarget, now: number): Promise<DueRow[]> {
    // Webhook receivers get each notification under its own id; people get bursts grouped.
    const limit = channel.type === "webhook" ? 1 : GROUP_MAX + 1;
    const leased = await this.engine.query<DueRow>(this.sql.claimDue, [this.owner, now + this.leaseMs, channel.id, now, now, this.owner, limit, channel.id, now, now, this.owner, limit]);
    const due = leased.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).slice(0, limit);
    const first = due[0];
    if (!first) return [];
    // A group that failed is retried as the same group, under the same id.
    if (first.group_id) return due.filter((r) => r.group_id === first.group_id);
    if (channel.type === "webhook") return [first];
    const ungrouped = due.filter((r) => !r.group_id);
    const released = ungrouped.filter((r) => r.status === "held");
    if (released.length > 1) return released.slice(0, GROUP_MAX);
    if (ungrouped.length > GROUP_ABOVE) return ungrouped.slice(0, GROUP_MAX);
    return [first];
  }

  /** Sends one message and records its outcome; false when the turn should end (stopped, or the lease lost). */
  private async send(channel: ChannelTarget, rows: DueRow[], now: number): Promise<boolean> {
    let messageId = rows[0]!.id;
    if (rows.length > 1) {
      messageId = rows[0]!.group_id ?? `grp_${randomBytes(16).toString("base64url")}`;
      const { changes } = await this.engine.exec(this.sql.setGroup, [messageId, JSON.stringify(rows.map((r) => r.id)), this.owner]);
      if (changes < rows.length) return false;
    }
    const message: OutgoingMessage = { id: messageId, notifications: rows.map((r) => JSON.parse(r.payload) as Notification) };
    const result = await sendMessage(channel, message, now);
    if (this.stopped) return false;
    return this.record(channel, rows, result, this.now());
  }

  /** Writes a message's outcome on the rows this instance still holds; false when it held none of them any more. */
  private async record(channel: ChannelTarget, rows: DueRow[], result: SendResult, now: number): Promise<boolean> {
    const firstAttemptAt = Math.min(...rows.map((r) => r.first_attempt_at ?? now));
    const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
    const ids = JSON.stringify(rows.map((r) => r.id));
    const sql = this.sql;
    const recorded = await this.engine.transaction(async (tx) => {
      if (result.ok) {
        const { changes } = await tx.exec(sql.delivered, [now, now, ids, this.owner]);
        await tx.exec(sql.channelSucceeded, [now, channel.id]);
        return changes;
      }
      const retryAt = result.retryable ? nextRetryAt(attempts, firstAttemptAt, now, result.retryAfterMs) : null;
      const { changes } = await tx.exec(sql.attempted, [retryAt === null ? "failed" : "pending", retryAt ?? now, result.error, firstAttemptAt, ids, this.owner]);
      await tx.exec(sql.channelFailed, [result.error, now, now, channel.id]);
      if (result.gone) {
        // 410 Gone: the receiver was removed on purpose. Stop sending to it at all.
        await tx.exec(sql.channelGone, ["The receiver answered 410 Gone; disabled.", now, channel.id]);
        await tx.exec(sql.failChannelBacklog, ["channel disabled: the receiver answered 410 Gone", channel.id]);
      }
      return changes;
    });
    if (!result.ok) logger().warn({ channelId: channel.id, deliveries: rows.length, error: result.error, retrying: result.retryable && !result.gone }, "alert delivery failed");
    if (recorded < rows.length) logger().warn({ channelId: channel.id, deliveries: rows.length, recorded }, "alert delivery outcome not recorded: its lease had passed to another instance");
    return recorded > 0;
  }
}
