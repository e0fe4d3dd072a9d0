import { getEngine } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { logger } from "@/lib/log";
import { runAsLeader, type Leadership } from "@/lib/ops/leader";
import { yieldToIngest } from "@/lib/ops/periodic";
import { appendIncidentActivity, transitionSet } from "./apply";
import { HISTORY_HOURS, HOUR_MS, hourOf } from "./escalation";
import { getIncidentSettings } from "./settings";
import { INCIDENT_TRANSITIONS, statusAllows } from "./transitions";

/** Hourly counts older than this are no longer needed by escalation. */
const KEEP_HOURS_MS = (HISTORY_HOURS + 24) * HOUR_MS;

export interface TimerResult {
  autoResolved: number;
  unsnoozed: number;
  deescalated: number;
  /** A step hit `batchRows`: run again (after letting ingest in) to finish. */
  more: boolean;
}

/** Incidents per step and transaction, so a backlog (e.g. the first run after an upgrade) never holds the write lock long. */
export const TIMER_BATCH_ROWS = 200;

const SERVER = { actor: SYSTEM_ACTOR, ip: null };

/**
 * The incidents' timers, as of `now`, in one short engine transaction (each step is one
 * conditional UPDATE … RETURNING through an index on at most `batchRows` incidents, then their
 * activity and audit rows):
 * - auto-resolve: open or acknowledged incidents whose latest failure (event time) is older than
 *   the setting are resolved by the server (activity `auto_resolved`);
 * - snooze expiry: snoozed incidents whose time has come are open again (activity `unsnoozed`);
 * - escalation end: an incident stops escalating once a whole hour has passed without exceeding
 *   its threshold (activity `escalation_ended`);
 * - hourly counts older than escalation needs are dropped.
 * On PostgreSQL each step skips incidents another transaction holds (a person's action on them,
 * or another instance's timers): they are done at the next run.
 */
export async function runIncidentTimers(now: number, batchRows = TIMER_BATCH_ROWS): Promise<TimerResult> {
  // Only tx calls are awaited inside: see "Converting lib/" in docs/postgresql.md.
  return getEngine().transaction(async (tx) => {
    const limited = (condition: string) => `id IN (SELECT id FROM incidents WHERE ${condition} LIMIT ${batchRows} ${tx.dialect.skipLocked})`;
    const result: TimerResult = { autoResolved: 0, unsnoozed: 0, deescalated: 0, more: false };
    const hours = (await getIncidentSettings(tx)).autoResolveAfterHours;
    if (hours !== null) {
      const set = transitionSet("autoResolve", { at: now });
      const resolved = await tx.query<{ id: number }>(
        `UPDATE incidents SET ${set.sql} WHERE ${limited(`${statusAllows("autoResolve")} AND last_seen < ?`)} RETURNING id`,
        [...set.params, now - hours * HOUR_MS],
      );
      const spec = INCIDENT_TRANSITIONS.autoResolve;
      for (const { id } of resolved) await appendIncidentActivity(tx, id, { action: spec.activity, audit: spec.audit, note: `no failure for ${hours} hours` }, SERVER, now);
      result.autoResolved = resolved.length;
    }

    const wakeSet = transitionSet("wake", { at: now });
    const woken = await tx.query<{ id: number }>(`UPDATE incidents SET ${wakeSet.sql} WHERE ${limited(`${statusAllows("wake")} AND snooze_until <= ?`)} RETURNING id`, [
      ...wakeSet.params,
      now,
    ]);
    const wake = INCIDENT_TRANSITIONS.wake;
    for (const { id } of woken) await appendIncidentActivity(tx, id, { action: wake.activity, audit: wake.audit, note: "the snooze time passed" }, SERVER, now);
    result.unsnoozed = woken.length;

    const calm = await tx.query<{ id: number }>(
      `UPDATE incidents SET escalating = 0, escalating_since = NULL WHERE ${limited("escalating = 1 AND escalating_hour < ?")} RETURNING id`,
      [hourOf(now) - HOUR_MS],
    );
    // The end of an escalation is the server's observation, not an action: no audit row.
    for (const { id } of calm) {
      await tx.exec("INSERT INTO incident_activity (incident_id, at, actor, action, note) VALUES (?, ?, NULL, 'escalation_ended', ?)", [id, now, "an hour passed below its threshold"]);
    }
    result.deescalated = calm.length;

    const dropped = (
      await tx.exec(
        `DELETE FROM incident_hours WHERE (incident_id, bucket) IN (SELECT incident_id, bucket FROM incident_hours WHERE bucket < ? LIMIT ${batchRows * 10} ${tx.dialect.skipLocked})`,
        [hourOf(now) - KEEP_HOURS_MS],
      )
    ).changes;
    result.more = [result.autoResolved, result.unsnoozed, result.deescalated].some((n) => n === batchRows) || dropped === batchRows * 10;
    return result;
  });
}

/** How often the server runs the timers (the contract: at least once a minute). */
export const INCIDENT_TIMERS_EVERY_MS = 30_000;

/**
 * Runs the incident timers now and every `everyMs` after while `leader` leads, until the returned
 * function is called; a backlog is worked off in batches with ingest let in between. `clock` is
 * injectable for tests. A failed run is logged and retried at the next tick.
 */
export function scheduleIncidentTimers(leader: Leadership, { everyMs = INCIDENT_TIMERS_EVERY_MS, clock = Date.now }: { everyMs?: number; clock?: () => number } = {}): () => void {
  return runAsLeader(leader, "incident timers", everyMs, async () => {
    for (;;) {
      const { more, ...result } = await runIncidentTimers(clock());
      if (result.autoResolved || result.unsnoozed || result.deescalated) logger().info(result, "incident timers");
      if (!more) return;
      await yieldToIngest();
    }
  });
}
