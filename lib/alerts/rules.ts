import { desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { alertChannels, alertRules, alertRuleState } from "@/db/schema";
import { recordAudit } from "@/lib/auth/audit";
import { InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { isValidTimeZone } from "@/lib/time/zoned";
import { parseInput } from "@/lib/validate";
import type { AlertsActor } from "./channels";
import { ruleSchema, type RuleDefinition, type RuleInput } from "./rule-schema";

export type RuleSummary = RuleDefinition & { id: number; createdAt: string; updatedAt: string };

type RuleRecord = typeof alertRules.$inferSelect;

const summarize = (r: RuleRecord): RuleSummary => ({
  id: r.id,
  ...(JSON.parse(r.definition) as RuleDefinition),
  enabled: r.enabled,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

/** The rule, validated, with every channel it names existing. */
export function parseRule(input: unknown, db: Db): RuleDefinition {
  const rule = parseInput(ruleSchema, input);
  const ids = [...new Set(rule.channelIds)];
  const found = db.select({ id: alertChannels.id }).from(alertChannels).where(inArray(alertChannels.id, ids)).all();
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw new InvalidInputError(`channelIds: no channel with id ${missing.join(", ")}`, [{ path: "channelIds", message: `no channel with id ${missing.join(", ")}` }], "invalid_input");
  return { ...rule, channelIds: ids };
}

const ruleTarget = (r: { id: number; name: string }) => `alert rule #${r.id} "${r.name}"`;

function insertRule(db: Db, rule: RuleDefinition, by: AlertsActor, now: number): RuleSummary {
  const row = db
    .insert(alertRules)
    .values({ name: rule.name, enabled: rule.enabled, trigger: rule.trigger, definition: JSON.stringify(rule), createdAt: now, updatedAt: now })
    .returning()
    .get();
  recordAudit(db, { actor: by.actor, action: "alert_rule_created", target: ruleTarget(row), detail: row.definition, ip: by.ip, at: now });
  return summarize(row);
}

export function createRule(input: unknown, by: AlertsActor, db: Db = getDb().db): RuleSummary {
  const rule = parseRule(input, db);
  return db.transaction((tx) => insertRule(tx as unknown as Db, rule, by, by.now ?? Date.now()));
}

export function listRules(db: Db = getDb().db): RuleSummary[] {
  return db.select().from(alertRules).orderBy(desc(alertRules.id)).all().map(summarize);
}

export function getRule(id: number, db: Db = getDb().db): RuleSummary {
  const row = db.select().from(alertRules).where(eq(alertRules.id, id)).get();
  if (!row) throw new NotFoundError(`No alert rule with id ${id}.`);
  return summarize(row);
}

/** Changes some fields of a rule; the result is validated as a whole. */
export function updateRule(id: number, input: unknown, by: AlertsActor, db: Db = getDb().db): RuleSummary {
  const now = by.now ?? Date.now();
  const stored = db.select().from(alertRules).where(eq(alertRules.id, id)).get();
  if (!stored) throw new NotFoundError(`No alert rule with id ${id}.`);
  const current = { ...(JSON.parse(stored.definition) as RuleDefinition), enabled: stored.enabled };
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new InvalidInputError("The body must be a JSON object.", undefined, "invalid_json");
  const rule = parseRule({ ...current, ...input }, db);
  const row = db.transaction((tx) => {
    const updated = tx
      .update(alertRules)
      .set({ name: rule.name, enabled: rule.enabled, trigger: rule.trigger, definition: JSON.stringify(rule), updatedAt: now })
      .where(eq(alertRules.id, id))
      .returning()
      .get()!;
    recordAudit(tx, { actor: by.actor, action: "alert_rule_changed", target: ruleTarget(updated), detail: updated.definition, ip: by.ip, at: now });
    return updated;
  });
  return summarize(row);
}

export function deleteRule(id: number, by: AlertsActor, db: Db = getDb().db): void {
  db.transaction((tx) => {
    const deleted = tx.delete(alertRules).where(eq(alertRules.id, id)).returning().get();
    if (!deleted) throw new NotFoundError(`No alert rule with id ${id}.`);
    recordAudit(tx, { actor: by.actor, action: "alert_rule_deleted", target: ruleTarget(deleted), ip: by.ip, at: by.now ?? Date.now() });
    tx.delete(alertRuleState).where(eq(alertRuleState.ruleId, id)).run();
  });
}

/** Treble-aware presets: what a campaign manager wants to hear about from day one. */
export function recommendedRules(channelIds: number[], tz: string): RuleInput[] {
  return [
    { name: "Template paused, disabled or rejected", channelIds, trigger: "template_status", templateStatuses: ["PAUSED", "DISABLED", "REJECTED"] },
    {
      name: "Template disabled by Meta or line restricted for spam",
      channelIds,
      trigger: "incident_opened",
      filter: { reason: "FAILURE_BY_DISABLED_HSM,FAILURE_BY_SPAM_RATE_LIMIT" },
      repeatMinutes: 0,
    },
    { name: "Lines out of tier capacity", channelIds, trigger: "threshold", filter: { reason: "FAILURE_BY_TIER_CAPACITY" }, threshold: { count: 50, windowMinutes: 15 } },
    { name: "WhatsApp rate limit hit", channelIds, trigger: "threshold", filter: { reason: "FAILURE_BY_RATE_LIMIT" }, threshold: { count: 50, windowMinutes: 15 } },
    { name: "Daily digest", channelIds, trigger: "digest", digest: { time: "08:00", tz }, repeatMinutes: 0 },
  ];
}

const recommendedSchema = z.object({
  channelIds: z.array(z.number().int().positive()).min(1, "needs at least one channel").optional(),
  tz: z.string().refine(isValidTimeZone, "must be an IANA time zone such as America/Bogota").default("UTC"),
});

/**
 * Creates the recommended rules (those whose name is not taken yet) for the given channels —
 * by default every enabled channel.
 */
export function addRecommendedRules(input: unknown, by: AlertsActor, db: Db = getDb().db): { items: RuleSummary[] } {
  const now = by.now ?? Date.now();
  const { channelIds, tz } = parseInput(recommendedSchema, input);
  const ids = channelIds ?? db.select({ id: alertChannels.id }).from(alertChannels).where(eq(alertChannels.enabled, true)).all().map((c) => c.id);
  if (!ids.length) throw new InvalidInputError("Create a channel first: recommended rules need one.", [{ path: "channelIds", message: "no channel to notify" }], "invalid_input");
  return db.transaction((tx) => {
    const taken = new Set(tx.select({ name: alertRules.name }).from(alertRules).all().map((r) => r.name));
    const items = recommendedRules(ids, tz)
      .filter((r) => !taken.has(r.name))
      .map((r) => insertRule(tx as unknown as Db, parseRule(r, tx as unknown as Db), by, now));
    return { items };
  });
}
