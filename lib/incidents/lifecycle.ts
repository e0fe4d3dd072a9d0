import type { DbHandle } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { logger } from "@/lib/log";
import { runPeriodically, yieldToIngest } from "@/lib/ops/periodic";
import { recordIncidentActivity, transitionSet } from "./apply";
import { HISTORY_HOURS, HOUR_MS, hourOf } from "./escalation";
import { incidentSettingsIn } from "./settings";
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
 * The incidents' timers, as of `now`, in one short immediate transaction (each step is one
 * conditional UPDATE … RETURNING through an index on at most `batchRows` incidents, then their
 * activity and audit rows):
 * - auto-resolve: open or acknowledged incidents whose latest failure (event time) is older than
 *   the setting are resolved by the server (activity `auto_resolved`);
 * - snooze expiry: snoozed incidents whose time has come are open again (activity `unsnoozed`);
 * - escalation end: an incident stops escalating once a whole hour has passed without exceeding
 *   its threshold (activity `escalation_ended`);
 * - hourly counts older than escalation needs are dropped.
 */
export function runIncidentTimers(handle: DbHandle, now: number, batchRows = TIMER_BATCH_ROWS): TimerResult {
  const { sqlite } = handle;
  const limited = (condition: string) => `id IN (SELECT id FROM incidents WHERE ${condition} LIMIT ${batchRows})`;
  return sqlite
    .transaction(() => {
      const result: TimerResult = { autoResolved: 0, unsnoozed: 0, deescalated: 0, more: false };
      const hours = incidentSettingsIn(sqlite).autoResolveAfterHours;
      if (hours !== null) {
        const set = transitionSet("autoResolve", { at: now });
        const ids = sqlite
          .prepare(`UPDATE incidents SET ${set.sql} WHERE ${limited(`${statusAllows("autoResolve")} AND last_seen < ?`)} RETURNING id`)
          .pluck()
          .all(...set.params, now - hours * HOUR_MS) as number[];
        const spec = INCIDENT_TRANSITIONS.autoResolve;
        for (const id of ids) recordIncidentActivity(handle, id, { action: spec.activity, audit: spec.audit, note: `no failure for ${hours} hours` }, SERVER, now);
        result.autoResolved = ids.length;
      }

      const wakeSet = transitionSet("wake", { at: now });
      const woken = sqlite
        .prepare(`UPDATE incidents SET ${wakeSet.sql} WHERE ${limited(`${statusAllows("wake")} AND snooze_until <= ?`)} RETURNING id`)
        .pluck()
        .all(...wakeSet.params, now) as number[];
      const wake = INCIDENT_TRANSITIONS.wake;
      for (const id of woken) recordIncidentActivity(handle, id, { action: wake.activity, audit: wake.audit, note: "the snooze time passed" }, SERVER, now);
      result.unsnoozed = woken.length;

      const calm = sqlite
        .prepare(`UPDATE incidents SET escalating = 0, escalating_since = NULL WHERE ${limited("escalating = 1 AND escalating_hour < @lastHour")} RETURNING id`)
        .pluck()
        .all({ lastHour: hourOf(now) - HOUR_MS }) as number[];
      const activity = sqlite.prepare("INSERT INTO incident_activity (incident_id, at, actor, action, note) VALUES (?, ?, NULL, 'escalation_ended', ?)");
      for (const id of calm) activity.run(id, now, "an hour passed below its threshold");
      result.deescalated = calm.length;

      const dropped = sqlite
        .prepare(`DELETE FROM incident_hours WHERE rowid IN (SELECT rowid FROM incident_hours WHERE bucket < ? LIMIT ${batchRows * 10})`)
        .run(hourOf(now) - KEEP_HOURS_MS).changes;
      result.more = [result.autoResolved, result.unsnoozed, result.deescalated].some((n) => n === batchRows) || dropped === batchRows * 10;
      return result;
    })
    .immediate();
}

/** How often the server runs the timers (the contract: at least once a minute). */
export const INCIDENT_TIMERS_EVERY_MS = 30_000;

/**
 * Runs the incident timers now and every `everyMs` after, until the returned function is called;
 * a backlog is worked off in batches with ingest let in between. `clock` is injectable for tests.
 * A failed run (e.g. the database is locked) is logged and retried at the next tick.
 */
export function scheduleIncidentTimers(handle: DbHandle, { everyMs = INCIDENT_TIMERS_EVERY_MS, clock = Date.now }: { everyMs?: number; clock?: () => number } = {}): () => void {
  return runPeriodically("incident timers", everyMs, async () => {
    for (;;) {
      const { more, ...result } = runIncidentTimers(handle, clock());
      if (result.autoResolved || result.unsnoozed || result.deescalated) logger().info(result, "incident timers");
      if (!more) return;
      await yieldToIngest();
    }
  });
}
