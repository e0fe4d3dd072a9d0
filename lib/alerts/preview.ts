import { getEngine } from "@/db/client";
import type { Dialect, Queryable } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import { all, type Steps } from "@/db/steps";
import { failureTotal } from "@/lib/queries/counts";
import { and, rawConditions } from "@/lib/queries/failure-filter";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "@/lib/time/zoned";
import { parseInput } from "@/lib/validate";
import { scopeMatches, SILENCED_INCIDENT_STATUSES } from "./outbox";
import { ruleFilters, ruleSchema, type RuleDefinition } from "./rule-schema";
import { lastDigestTime } from "./schedule";

/**
 * How many notifications a rule would have sent over the last 7 days of stored data — shown
 * live while a rule is edited. Incident and template triggers replay what was recorded (with
 * repeat suppression); threshold and change rules replay hourly rollups (windows of an hour or
 * more) or the raw timestamps of the few hours that could have fired (shorter windows).
 */

export const PREVIEW_DAYS = 7;
const WEEK_MS = 7 * DAY_MS;

/** Fires at each instant of `times` (ascending) unless it fired within the repeat interval. */
function countWithRepeat(times: number[], repeatMs: number): number {
  let n = 0;
  let last = -Infinity;
  for (const t of times) {
    if (t - last >= repeatMs) {
      n++;
      last = t;
    }
  }
  return n;
}

async function incidentCount(q: Queryable, rule: RuleDefinition, from: number): Promise<number> {
  const filters = ruleFilters(rule.filter);
  const incidents = await q.query<{ id: number; reason: string; line_key: string; template_key: string; status: string; first_seen: number }>(
    "SELECT id, reason, line_key, template_key, status, first_seen FROM incidents WHERE last_seen >= ?",
    [from],
  );
  const matching = incidents.filter((i) => !SILENCED_INCIDENT_STATUSES.has(i.status) && scopeMatches(filters, { reason: i.reason, line: i.line_key, template: i.template_key }));
  if (rule.trigger === "incident_opened") return matching.filter((i) => i.first_seen >= from).length;
  const actions = rule.trigger === "incident_regressed" ? ["regressed"] : ["escalated", "escalating"];
  const activity = await q.query<{ incident_id: number; at: number }>(
    `SELECT incident_id, at FROM incident_activity WHERE at >= ? AND action IN ${q.dialect.jsonArrayValues("text")} ORDER BY incident_id, at`,
    [from, JSON.stringify(actions)],
  );
  const times = new Map<number, number[]>();
  for (const a of activity) times.set(a.incident_id, [...(times.get(a.incident_id) ?? []), a.at]);
  return matching.reduce((sum, i) => sum + countWithRepeat(times.get(i.id) ?? [], rule.repeatMinutes * MINUTE_MS), 0);
}

async function templateCount(q: Queryable, rule: RuleDefinition, from: number): Promise<number> {
  const filters = ruleFilters(rule.filter);
  const statuses = rule.templateStatuses ?? [];
  const rows = await q.query<{ template: string; status: string; received_at: number }>(
    "SELECT template, upper(status) AS status, received_at FROM template_status_events WHERE received_at >= ? ORDER BY received_at",
    [from],
  );
  const byScope = new Map<string, number[]>();
  for (const r of rows) {
    if (!statuses.includes(r.status) || !scopeMatches(filters, { template: r.template })) continue;
    const key = `${r.template}:${r.status}`;
    byScope.set(key, [...(byScope.get(key) ?? []), r.received_at]);
  }
  return [...byScope.values()].reduce((sum, times) => sum + countWithRepeat(times, rule.repeatMinutes * MINUTE_MS), 0);
}

/** Threshold and change rules, replayed over the failure counts of every hour since `from` (one snapshot). */
function* windowCount(dialect: Dialect, rule: RuleDefinition, from: number, now: number): Steps<number> {
  const filters = ruleFilters(rule.filter);
  const isChange = rule.trigger === "change";
  const minutes = isChange ? rule.change!.windowMinutes : rule.threshold!.windowMinutes;
  const firstHour = Math.floor(from / HOUR_MS) * HOUR_MS;
  const hours = Math.ceil((now - firstHour) / HOUR_MS);
  const series = function* (offset: number): Steps<number[]> {
    const counts: number[] = [];
    for (let i = 0; i < hours; i++) counts.push(yield* failureTotal(dialect, filters, firstHour + i * HOUR_MS - offset, Math.min(firstHour + (i + 1) * HOUR_MS, now) - offset));
    return counts;
  };
  const counts = yield* series(0);
  const repeatMs = rule.repeatMinutes * MINUTE_MS;

  if (!isChange && minutes < 60) {
    // A window shorter than an hour lies within two adjacent hours: only those pairs can fire.
    const raw = rawConditions(filters, dialect);
    const select = `SELECT f.occurred_at FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)} ORDER BY f.occurred_at`;
    const need = rule.threshold!.count;
    const fired: number[] = [];
    let i = 0;
    while (i < hours) {
      if ((counts[i] ?? 0) + (counts[i + 1] ?? 0) < need) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < hours && (counts[j + 1] ?? 0) + (counts[j + 2] ?? 0) >= need) j++;
      const times = (yield* all<{ occurred_at: number }>(select, [firstHour + i * HOUR_MS, firstHour + (j + 2) * HOUR_MS, ...raw.params])).map((r) => r.occurred_at);
      const span = minutes * MINUTE_MS;
      let start = 0;
      for (let k = 0; k < times.length; k++) {
        while (times[k]! - times[start]! >= span) start++;
        if (k - start + 1 >= need) fired.push(times[k]!);
      }
      i = j + 2;
    }
    return countWithRepeat(fired, repeatMs);
  }

  const span = Math.max(1, Math.round(minutes / 60));
  const previous = isChange ? yield* series(WEEK_MS) : null;
  const sum = (values: number[], end: number) => values.slice(Math.max(0, end - span + 1), end + 1).reduce((a, b) => a + b, 0);
  const fired: number[] = [];
  for (let h = 0; h < hours; h++) {
    const count = sum(counts, h);
    const at = firstHour + (h + 1) * HOUR_MS;
    if (!isChange) {
      if (count >= rule.threshold!.count) fired.push(at);
      continue;
    }
    const prev = sum(previous!, h);
    if (count >= rule.change!.minCount && (prev === 0 || ((count - prev) / prev) * 100 >= rule.change!.percent)) fired.push(at);
  }
  return countWithRepeat(fired, repeatMs);
}

function digestCount(rule: RuleDefinition, from: number, now: number): number {
  let n = 0;
  for (let t = lastDigestTime(rule.digest!, now); t >= from; t = lastDigestTime(rule.digest!, t - 1)) n++;
  return n;
}

/** `{"notifications": N, "days": 7}` for a rule body (channels need not exist yet). */
export async function previewRule(input: unknown, now = Date.now()): Promise<{ notifications: number; days: number }> {
  const body = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
  // Channels do not change the count; a rule being drafted may not have one yet.
  const rule = parseInput(ruleSchema, { ...body, channelIds: Array.isArray(body.channelIds) && body.channelIds.length ? body.channelIds : [1] });
  const from = now - PREVIEW_DAYS * DAY_MS;
  const engine = getEngine();
  let notifications: number;
  switch (rule.trigger) {
    case "incident_opened":
    case "incident_regressed":
    case "incident_escalating":
      notifications = await incidentCount(engine, rule, from);
      break;
    case "template_status":
      notifications = await templateCount(engine, rule, from);
      break;
    case "threshold":
    case "change":
      notifications = await inSnapshot(engine, (dialect) => windowCount(dialect, rule, from, now));
      break;
    case "digest":
      notifications = digestCount(rule, from, now);
      break;
  }
  return { notifications, days: PREVIEW_DAYS };
}
