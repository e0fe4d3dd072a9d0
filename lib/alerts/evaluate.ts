import type { Dialect, Engine } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import { get, type Steps } from "@/db/steps";
import { runAsLeader, type Leadership } from "@/lib/ops/leader";
import { failureCounts, failureTotal } from "@/lib/queries/counts";
import { DAY_MS, MINUTE_MS } from "@/lib/time/zoned";
import { digestNotification, ruleSource, windowNotification } from "./notification";
import { enabledRules, enqueueNotification, type StoredRule } from "./outbox";
import { lastDigestTime } from "./schedule";

/**
 * Threshold, change and digest rules, checked on a timer by the cluster's leader. Counts come
 * from the rollups (whole hours and days) plus the partial hours at the window's edges from raw
 * rows through the occurred_at index — never a scan of history (lib/queries/counts.ts). Each rule
 * is read and notified in one snapshot of its own (db/snapshot.ts), on either engine.
 */

export const EVALUATE_EVERY_MS = 15_000;
const WEEK_MS = 7 * DAY_MS;
/** A digest whose time passed longer ago than this (server down) is skipped, not sent late. */
const DIGEST_GRACE_MS = 6 * 60 * MINUTE_MS;


export interface WindowCounts {
  count: number;
  previousCount: number | null;
}

/** Failures matching the rule in its window ending at `now` (and a week earlier, for change rules). */
export function* windowCounts(dialect: Dialect, rule: StoredRule, now: number): Steps<WindowCounts> {
  const d = rule.definition;
  const filters = rule.filters;
  const minutes = d.trigger === "change" ? d.change!.windowMinutes : d.threshold!.windowMinutes;
  const from = now - minutes * MINUTE_MS;
  const count = yield* failureTotal(dialect, filters, from, now);
  const previousCount = d.trigger === "change" ? yield* failureTotal(dialect, filters, from - WEEK_MS, now - WEEK_MS) : null;
  return { count, previousCount };
}

/** Whether window counts fire the rule. */
export function windowFires(rule: StoredRule, c: WindowCounts): boolean {
  const d = rule.definition;
  if (d.trigger === "threshold") return c.count >= d.threshold!.count;
  if (c.count < d.change!.minCount) return false;
  const prev = c.previousCount ?? 0;
  return prev === 0 || ((c.count - prev) / prev) * 100 >= d.change!.percent;
}

const SQL = {
  openIncidents: `SELECT count(*) AS n FROM incidents WHERE status IN ('open', 'acknowledged')`,
  createdAt: `SELECT created_at FROM alert_rules WHERE id = ?`,
  notifiedAbout: `SELECT 1 AS notified FROM alert_rule_state WHERE rule_id = ? AND scope = ?`,
};

function* evaluateWindowRule(dialect: Dialect, rule: StoredRule, now: number): Steps<boolean> {
  const c = yield* windowCounts(dialect, rule, now);
  if (!windowFires(rule, c)) return false;
  const d = rule.definition;
  const minutes = d.trigger === "change" ? d.change!.windowMinutes : d.threshold!.windowMinutes;
  const type = d.trigger === "change" ? "change.exceeded" : "threshold.exceeded";
  const n = windowNotification(type, ruleSource(rule), d.filter, { from: now - minutes * MINUTE_MS, to: now, count: c.count, previousCount: c.previousCount }, now);
  return yield* enqueueNotification(dialect, rule, "window", n, now);
}

/** The past 24 h of the rule's filter, by reason, plus open incidents. */
export function* digestSummary(dialect: Dialect, rule: StoredRule, to: number) {
  const from = to - DAY_MS;
  const byReason = new Map<string, number>();
  for (const r of yield* failureCounts(dialect, rule.filters, from, to, null)) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + r.n);
  const rows = [...byReason].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
  const openIncidents = (yield* get<{ n: number }>(SQL.openIncidents, []))!.n;
  return { from, to, total: rows.reduce((s, r) => s + r.count, 0), openIncidents, byReason: rows };
}

function* evaluateDigestRule(dialect: Dialect, rule: StoredRule, now: number): Steps<boolean> {
  const at = lastDigestTime(rule.definition.digest!, now);
  if (now - at > DIGEST_GRACE_MS) return false;
  const created = yield* get<{ created_at: number }>(SQL.createdAt, [rule.id]);
  if (!created || at < created.created_at) return false;
  const scope = `digest:${at}`;
  if (yield* get(SQL.notifiedAbout, [rule.id, scope])) return false;
  const n = digestNotification(ruleSource(rule), yield* digestSummary(dialect, rule, at), now);
  return yield* enqueueNotification(dialect, { ...rule, definition: { ...rule.definition, repeatMinutes: 0 } }, scope, n, now);
}

/** Checks every enabled threshold, change and digest rule once, each in a snapshot of its own; returns how many notified. */
export async function evaluateTimedRules(engine: Engine, now = Date.now()): Promise<number> {
  let notified = 0;
  for (const rule of await inSnapshot(engine, (dialect) => enabledRules(dialect, ["threshold", "change", "digest"]))) {
    const evaluate = rule.definition.trigger === "digest" ? evaluateDigestRule : evaluateWindowRule;
    if (await inSnapshot(engine, (dialect) => evaluate(dialect, rule, now))) notified++;
  }
  return notified;
}

/** Runs evaluateTimedRules every EVALUATE_EVERY_MS while `leader` leads; returns the stopper. */
export function scheduleAlertEvaluation(engine: Engine, leader: Leadership): () => void {
  return runAsLeader(leader, "alert rule evaluation", EVALUATE_EVERY_MS, async () => {
    await evaluateTimedRules(engine);
  });
}
