import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { logger } from "@/lib/log";
import type { Notification } from "./notification";
import type { OutgoingMessage } from "./render";
import type { ChannelType } from "./rule-schema";
import { nextRetryAt } from "./schedule";
import { sendMessage, type ChannelTarget, type SendResult } from "./send";

/**
 * Sends the outbox. Runs on timers in the server process, never inside a webhook request: each
 * tick reads due rows through an index, starts at most one send per channel (network I/O is
 * asynchronous), and records the outcome in a short transaction when the receiver answers. A
 * send interrupted by a crash left its rows pending, so they go out again after a restart: at
 * least once, always under the same delivery id.
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

interface DueRow {
  id: string;
  created_at: number;
  payload: string;
  status: "pending" | "held";
  group_id: string | null;
  attempts: number;
  first_attempt_at: number | null;
}

interface ChannelRow extends ChannelTarget {
  enabled: number;
}

export interface DispatcherOptions {
  /** The clock (tests pass their own to step through backoff without waiting hours). */
  now?: () => number;
  pollMs?: number;
}

function prepareStatements(sqlite: Database.Database) {
  return {
    dueChannels: sqlite.prepare(`SELECT DISTINCT channel_id FROM alert_deliveries WHERE status IN ('pending', 'held') AND next_attempt_at <= ?`).pluck(),
    // One status at a time, so the (channel_id, status, next_attempt_at) index yields rows in order
    // and a long backlog is never sorted per send.
    due: sqlite.prepare(
      `SELECT id, payload, status, group_id, attempts, first_attempt_at, created_at FROM alert_deliveries
       WHERE channel_id = ? AND status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
    ),
    setGroup: sqlite.prepare(`UPDATE alert_deliveries SET group_id = ? WHERE id = ?`),
    delivered: sqlite.prepare(
      `UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL,
         first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? AND status IN ('pending', 'held')`,
    ),
    attempted: sqlite.prepare(
      `UPDATE alert_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, first_attempt_at = coalesce(first_attempt_at, ?)
       WHERE id = ? AND status IN ('pending', 'held')`,
    ),
    channelSucceeded: sqlite.prepare(`UPDATE alert_channels SET last_success_at = ?, failing_since = NULL WHERE id = ?`),
    channelFailed: sqlite.prepare(`UPDATE alert_channels SET last_error = ?, last_error_at = ?, failing_since = coalesce(failing_since, ?) WHERE id = ?`),
    channelGone: sqlite.prepare(`UPDATE alert_channels SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?`),
    failChannelBacklog: sqlite.prepare(`UPDATE alert_deliveries SET status = 'failed', last_error = ? WHERE channel_id = ? AND status IN ('pending', 'held')`),
    channel: sqlite.prepare(`SELECT id, name, type, url, recipients, secret, locale, enabled FROM alert_channels WHERE id = ?`),
  };
}

export class AlertDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly busy = new Set<number>();
  private readonly nextAllowedAt = new Map<number, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly sql: ReturnType<typeof prepareStatements>;

  constructor(
    private readonly sqlite: Database.Database,
    options: DispatcherOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? POLL_MS;
    this.sql = prepareStatements(sqlite);
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      try {
        this.tick();
      } catch (err) {
        logger().error({ err }, "alerts dispatcher tick failed");
      }
      this.timer = setTimeout(loop, this.pollMs);
      this.timer.unref();
    };
    loop();
  }

  /** Stops starting sends; sends already under way finish (or, if the process exits first, go out again after restart). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Resolves when every send started so far has been recorded. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** One pass: starts a send for every channel with something due that is neither busy nor paced. */
  tick(): void {
    const now = this.now();
    const channels = this.sql.dueChannels.all(now) as number[];
    for (const channelId of channels) {
      if (this.busy.has(channelId) || (this.nextAllowedAt.get(channelId) ?? 0) > now) continue;
      this.busy.add(channelId);
      const work = this.dispatchChannel(channelId, now)
        .catch((err: unknown) => logger().error({ err, channelId }, "alert delivery failed unexpectedly"))
        .finally(() => {
          this.busy.delete(channelId);
          this.inFlight.delete(work);
        });
      this.inFlight.add(work);
    }
  }

  /** The rows that go out together in the channel's next message. */
  private nextBatch(channel: ChannelRow, now: number): DueRow[] {
    // Webhook receivers get each notification under its own id; people get bursts grouped.
    const limit = channel.type === "webhook" ? 1 : GROUP_MAX + 1;
    const pending = this.sql.due.all(channel.id, "pending", now, limit) as DueRow[];
    const held = channel.type === "webhook" && pending.length ? [] : (this.sql.due.all(channel.id, "held", now, limit) as DueRow[]);
    const due = [...held, ...pending].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).slice(0, limit);
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

  /**
   * Sends the channel's due messages one after another (its pacing allowing) — a burst to a
   * webhook drains in one go rather than one message per tick.
   */
  private async dispatchChannel(channelId: number, now: number): Promise<void> {
    for (let sent = 0; sent < MAX_MESSAGES_PER_TURN && !this.stopped; sent++) {
      if (!(await this.sendNext(channelId, now))) return;
      now = this.now();
      if ((this.nextAllowedAt.get(channelId) ?? 0) > now) return;
    }
  }

  /** Sends the channel's next message; false when there was nothing to send. */
  private async sendNext(channelId: number, now: number): Promise<boolean> {
    const channel = this.sql.channel.get(channelId) as ChannelRow | undefined;
    if (!channel) {
      this.sql.failChannelBacklog.run("channel deleted", channelId);
      return false;
    }
    if (!channel.enabled) return false; // paused: they wait for the channel to be enabled again
    const rows = this.nextBatch(channel, now);
    if (!rows.length) return false;
    let messageId = rows[0]!.id;
    if (rows.length > 1) {
      messageId = rows[0]!.group_id ?? `grp_${randomBytes(16).toString("base64url")}`;
      this.sqlite.transaction(() => rows.forEach((r) => this.sql.setGroup.run(messageId, r.id)))();
    }
    const message: OutgoingMessage = { id: messageId, notifications: rows.map((r) => JSON.parse(r.payload) as Notification) };
    this.nextAllowedAt.set(channelId, now + PACING_MS[channel.type]);
    const result = await sendMessage(channel, message, now);
    // A send that completes during a graceful shutdown is still recorded while the database is open.
    if (!this.sqlite.open) return false;
    this.record(channel, rows, result, this.now());
    return true;
  }

  private record(channel: ChannelRow, rows: DueRow[], result: SendResult, now: number): void {
    const firstAttemptAt = Math.min(...rows.map((r) => r.first_attempt_at ?? now));
    const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
    const ids = rows.map((r) => r.id);
    const sql = this.sql;
    this.sqlite.transaction(() => {
      if (result.ok) {
        for (const id of ids) sql.delivered.run(now, now, id);
        sql.channelSucceeded.run(now, channel.id);
        return;
      }
      const retryAt = result.retryable ? nextRetryAt(attempts, firstAttemptAt, now, result.retryAfterMs) : null;
      for (const id of ids) sql.attempted.run(retryAt === null ? "failed" : "pending", retryAt ?? now, result.error, firstAttemptAt, id);
      sql.channelFailed.run(result.error, now, now, channel.id);
      if (result.gone) {
        // 410 Gone: the receiver was removed on purpose. Stop sending to it at all.
        sql.channelGone.run("The receiver answered 410 Gone; disabled.", now, channel.id);
        sql.failChannelBacklog.run("channel disabled: the receiver answered 410 Gone", channel.id);
      }
    })();
    if (!result.ok) logger().warn({ channelId: channel.id, deliveries: ids.length, error: result.error, retrying: result.retryable && !result.gone }, "alert delivery failed");
  }
}
