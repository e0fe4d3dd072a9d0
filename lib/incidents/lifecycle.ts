import type { DbHandle } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { logger } from "@/lib/log";
import { recordIncidentActivity, transitionSet } from "./apply";
import { HISTORY_HOURS, HOUR_MS, hourOf } from "./escalation";
import { getIncidentSettings } from "./settings";
import { INCIDENT_TRANSITIONS, statusAllows } from "./transitions";

/** Hourly counts older than this are no longer needed by escalation. */
const KEEP_HOURS_MS = (HISTORY_HOURS + 24) * HOUR_MS;

export interface TimerResult {
  autoResolved: number;
  unsnoozed: number;
  deescalated: number;
}

const SERVER = { actor: SYSTEM_ACTOR, ip: null };

/**
 * The incidents' timers, as of `now`, in one short immediate transaction (each step is one
 * conditional UPDATE … RETURNING through an index, then its activity and audit rows):
 * - auto-resolve: open or acknowledged incidents whose latest failure (event time) is older than
 *   the setting are resolved by the server (activity `auto_resolved`);
 * - snooze expiry: snoozed incidents whose time has come are open again (activity `unsnoozed`);
 * - escalation end: an incident stops escalating once a whole hour has passed without exceeding
 *   its threshold (activity `escalation_ended`);
 * - hourly counts older than escalation needs are dropped.
 */
export function runIncidentTimers(handle: DbHandle, now: number): TimerResult {
  const { sqlite } = handle;
  return sqlite
    .transaction(() => {
      const result: TimerResult = { autoResolved: 0, unsnoozed: 0, deescalated: 0 };
      const hours = getIncidentSettings(sqlite).autoResolveAfterHours;
      if (hours !== null) {
        const ids = sqlite
          .prepare(`UPDATE incidents SET ${transitionSet("autoResolve")} WHERE ${statusAllows("autoResolve")} AND last_seen < @cutoff RETURNING id`)
          .pluck()
          .all({ at: now, cutoff: now - hours * HOUR_MS }) as number[];
        const spec = INCIDENT_TRANSITIONS.autoResolve;
        for (const id of ids) recordIncidentActivity(handle, id, { action: spec.activity, audit: spec.audit, note: `no failure for ${hours} hours` }, SERVER, now);
        result.autoResolved = ids.length;
      }

      const woken = sqlite
        .prepare(`UPDATE incidents SET ${transitionSet("wake")} WHERE ${statusAllows("wake")} AND snooze_until <= @at RETURNING id`)
        .pluck()
        .all({ at: now }) as number[];
      const wake = INCIDENT_TRANSITIONS.wake;
      for (const id of woken) recordIncidentActivity(handle, id, { action: wake.activity, audit: wake.audit, note: "the snooze time passed" }, SERVER, now);
      result.unsnoozed = woken.length;

      const calm = sqlite
        .prepare("UPDATE incidents SET escalating = 0, escalating_since = NULL WHERE escalating = 1 AND escalating_hour < @lastHour RETURNING id")
        .pluck()
        .all({ lastHour: hourOf(now) - HOUR_MS }) as number[];
      const activity = sqlite.prepare("INSERT INTO incident_activity (incident_id, at, actor, action, note) VALUES (?, ?, NULL, 'escalation_ended', ?)");
      for (const id of calm) activity.run(id, now, "an hour passed below its threshold");
      result.deescalated = calm.length;

      sqlite.prepare("DELETE FROM incident_hours WHERE bucket < ?").run(hourOf(now) - KEEP_HOURS_MS);
      return result;
    })
    .immediate();
}

/** How often the server runs the timers (the contract: at least once a minute). */
export const INCIDENT_TIMERS_EVERY_MS = 30_000;

/**
 * Runs the incident timers now and every `everyMs` after, until the returned function is called.
 * `clock` is injectable for tests. A failed run (e.g. the database is locked) is logged and
 * retried at the next tick.
 */
export function scheduleIncidentTimers(handle: DbHandle, { everyMs = INCIDENT_TIMERS_EVERY_MS, clock = Date.now }: { everyMs?: number; clock?: () => number } = {}): () => void {
  const run = () => {
    try {
      const result = runIncidentTimers(handle, clock());
      if (result.autoResolved || result.unsnoozed || result.deescalated) logger().info(result, "incident timers");
    } catch (err) {
      logger().warn({ err: (err as Error).message }, "incident timers failed; retrying at the next run");
    }
  };
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
