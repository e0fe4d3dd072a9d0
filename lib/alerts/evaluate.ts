import type Database from "better-sqlite3";
import { sqliteDialect } from "@/db/sqlite/engine";
import { runSteps } from "@/db/steps";
import { logger } from "@/lib/log";
import type { Leadership } from "@/lib/ops/leader";
import { countBy, countTotal } from "@/lib/queries/counts";
import { DAY_MS, MINUTE_MS } from "@/lib/time/zoned";
import { digestNotification, ruleSource, windowNotification } from "./notification";
import { enabledRules, enqueueNotification, type StoredRule } from "./outbox";
import { lastDigestTime } from "./schedule";

/**
 * Threshold, change and digest rules, checked on a timer. Counts come from the rollups (whole
 * hours and days) plus the partial hours at the window's edges from raw rows through the
 * occurred_at index — never a scan of history (lib/queries/counts.ts).
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
export function windowCounts(sqlite: Database.Database, rule: StoredRule, now: number): WindowCounts {
  const d = rule.definition;
  const filters = rule.filters;
  const minutes = d.trigger === "change" ? d.change!.windowMinutes : d.threshold!.windowMinutes;
  const from = now - minutes * MINUTE_MS;
  const count = countTotal(sqlite, filters, from, now);
  const previousCount = d.trigger === "change" ? countTotal(sqlite, filters, from - WEEK_MS, now - WEEK_MS) : null;
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

function evaluateWindowRule(sqlite: Database.Database, rule: StoredRule, now: number): boolean {
  const c = windowCounts(sqlite, rule, now);
  if (!windowFires(rule, c)) return false;
  const d = rule.definition;
  const minutes = d.trigger === "change" ? d.change!.windowMinutes : d.threshold!.windowMinutes;
  const type = d.trigger === "change" ? "change.exceeded" : "threshold.exceeded";
  const n = windowNotification(type, ruleSource(rule), d.filter, { from: now - minutes * MINUTE_MS, to: now, count: c.count, previousCount: c.previousCount }, now);
  return sqlite.transaction(() => runSteps(sqlite, enqueueNotification(sqliteDialect, rule, "window", n, now)))();
}

/** The past 24 h of the rule's filter, by reason, plus open incidents. */
export function digestSummary(sqlite: Database.Database, rule: StoredRule, to: number) {
  const from = to - DAY_MS;
  const byReason = new Map<string, number>();
  for (const r of countBy(sqlite, rule.filters, from, to, "line")) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + r.n);
  const rows = [...byReason].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
  const openIncidents = sqlite.prepare(`SELECT count(*) FROM incidents WHERE status IN ('open', 'acknowledged')`).pluck().get() as number;
  return { from, to, total: rows.reduce((s, r) => s + r.count, 0), openIncidents, byReason: rows };
}

function evaluateDigestRule(sqlite: Database.Database, rule: StoredRule, createdAt: number, now: number): boolean {
  const at = lastDigestTime(rule.definition.digest!, now);
  if (at < createdAt || now - at > DIGEST_GRACE_MS) return false;
  const scope = `digest:${at}`;
  const sent = sqlite.prepare(`SELECT 1 FROM alert_rule_state WHERE rule_id = ? AND scope = ?`).get(rule.id, scope);
  if (sent) return false;
  const n = digestNotification(ruleSource(rule), digestSummary(sqlite, rule, at), now);
  return sqlite.transaction(() => runSteps(sqlite, enqueueNotification(sqliteDialect, { ...rule, definition: { ...rule.definition, repeatMinutes: 0 } }, scope, n, now)))();
}

/** Checks every enabled threshold, change and digest rule once; returns how many notified. */
export function evaluateTimedRules(sqlite: Database.Database, now = Date.now()): number {
  let notified = 0;
  for (const rule of runSteps(sqlite, enabledRules(sqliteDialect, ["threshold", "change"]))) if (evaluateWindowRule(sqlite, rule, now)) notified++;
  const digests = runSteps(sqlite, enabledRules(sqliteDialect, ["digest"]));
  if (digests.length) {
    const created = sqlite.prepare(`SELECT created_at FROM alert_rules WHERE id = ?`).pluck();
    for (const rule of digests) if (evaluateDigestRule(sqlite, rule, created.get(rule.id) as number, now)) notified++;
  }
  return notified;
}

/** Runs evaluateTimedRules a second after start, then every EVALUATE_EVERY_MS, while `leader` leads; returns the stopper. */
export function scheduleAlertEvaluation(sqlite: Database.Database, leader: Leadership): () => void {
  const run = () => {
    if (!leader.isLeader()) return;
    try {
      evaluateTimedRules(sqlite);
    } catch (err) {
      logger().error({ err }, "alert rule evaluation failed");
    }
  };
  const first = setTimeout(run, 1000);
  const timer = setInterval(run, EVALUATE_EVERY_MS);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
