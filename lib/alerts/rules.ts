import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { appendAudit } from "@/lib/auth/audit";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { isValidTimeZone } from "@/lib/time/zoned";
import { parseInput } from "@/lib/validate";
import type { AlertsActor } from "./channels";
import { ruleSchema, type RuleDefinition, type RuleInput } from "./rule-schema";

export type RuleSummary = RuleDefinition & { id: number; createdAt: string; updatedAt: string };

/** An alert_rules row as both engines return it (flags are 0/1). */
interface RuleRow {
  id: number;
  name: string;
  enabled: number;
  definition: string;
  created_at: number;
  updated_at: number;
}

const RULE_COLUMNS = "id, name, enabled, definition, created_at, updated_at";

const summarize = (r: RuleRow): RuleSummary => ({
  id: r.id,
  ...(JSON.parse(r.definition) as RuleDefinition),
  enabled: r.enabled === 1,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** The rule, validated, with every channel it names existing. */
async function parseRule(input: unknown, q: Queryable): Promise<RuleDefinition> {
  const rule = parseInput(ruleSchema, input);
  const ids = [...new Set(rule.channelIds)];
  const found = await q.query<{ id: number }>(`SELECT id FROM alert_channels WHERE id IN ${q.dialect.jsonArrayValues("integer")}`, [JSON.stringify(ids)]);
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw new InvalidInputError(`channelIds: no channel with id ${missing.join(", ")}`, [{ path: "channelIds", message: `no channel with id ${missing.join(", ")}` }], "invalid_input");
  return { ...rule, channelIds: ids };
}

const ruleTarget = (r: { id: number; name: string }) => `alert rule #${r.id} "${r.name}"`;

async function insertRule(tx: Queryable, rule: RuleDefinition, by: AlertsActor, now: number): Promise<RuleSummary> {
  const row = (await tx.one<RuleRow>(
    `INSERT INTO alert_rules (name, enabled, trigger, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${RULE_COLUMNS}`,
    [rule.name, rule.enabled, rule.trigger, JSON.stringify(rule), now, now],
  ))!;
  await appendAudit(tx, { actor: by.actor, action: "alert_rule_created", target: ruleTarget(row), detail: row.definition, ip: by.ip, at: now });
  return summarize(row);
}

export async function createRule(input: unknown, by: AlertsActor): Promise<RuleSummary> {
  const now = by.now ?? Date.now();
  return getEngine().transaction(async (tx) => insertRule(tx, await parseRule(input, tx), by, now));
}

/** Every rule, newest first. */
export async function listRules(): Promise<RuleSummary[]> {
  return (await getEngine().query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules ORDER BY id DESC`)).map(summarize);
}

async function findRule(q: Queryable, id: number): Promise<RuleRow> {
  const row = await q.one<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = ?`, [id]);
  if (!row) throw new NotFoundError(`No alert rule with id ${id}.`);
  return row;
}

export async function getRule(id: number): Promise<RuleSummary> {
  return summarize(await findRule(getEngine(), id));
}

/**
 * Changes some fields of a rule; the result is validated as a whole. The change is made to the
 * rule it read: if another change landed meanwhile, nothing is written and it answers 409 with
 * the rule as it is now (rather than silently undoing the other change's fields).
 */
export async function updateRule(id: number, input: unknown, by: AlertsActor): Promise<RuleSummary> {
  const now = by.now ?? Date.now();
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new InvalidInputError("The body must be a JSON object.", undefined, "invalid_json");
  const outcome = await getEngine().transaction(async (tx) => {
    const stored = await findRule(tx, id);
    const current = { ...(JSON.parse(stored.definition) as RuleDefinition), enabled: stored.enabled === 1 };
    const rule = await parseRule({ ...current, ...input }, tx);
    const updated = await tx.one<RuleRow>(
      `UPDATE alert_rules SET name = ?, enabled = ?, trigger = ?, definition = ?, updated_at = ?
       WHERE id = ? AND definition = ? RETURNING ${RULE_COLUMNS}`,
      [rule.name, rule.enabled, rule.trigger, JSON.stringify(rule), now, id, stored.definition],
    );
    if (!updated) return { lost: await tx.one<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = ?`, [id]) };
    await appendAudit(tx, { actor: by.actor, action: "alert_rule_changed", target: ruleTarget(updated), detail: updated.definition, ip: by.ip, at: now });
    return { updated };
  });
  if (outcome.updated) return summarize(outcome.updated);
  if (!outcome.lost) throw new NotFoundError(`No alert rule with id ${id}.`);
  throw new ConflictError("The rule was changed meanwhile: reload it and make your change again.", undefined, summarize(outcome.lost));
}

export async function deleteRule(id: number, by: AlertsActor): Promise<void> {
  await getEngine().transaction(async (tx) => {
    const deleted = await tx.one<{ id: number; name: string }>("DELETE FROM alert_rules WHERE id = ? RETURNING id, name", [id]);
    if (!deleted) throw new NotFoundError(`No alert rule with id ${id}.`);
    await appendAudit(tx, { actor: by.actor, action: "alert_rule_deleted", target: ruleTarget(deleted), ip: by.ip, at: by.now ?? Date.now() });
    await tx.exec("DELETE FROM alert_rule_state WHERE rule_id = ?", [id]);
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
 * by default every enabled channel. Serializable: two at once never add the same preset twice.
 */
export async function addRecommendedRules(input: unknown, by: AlertsActor): Promise<{ items: RuleSummary[] }> {
  const now = by.now ?? Date.now();
  const { channelIds, tz } = parseInput(recommendedSchema, input);
  return getEngine().transaction(
    async (tx) => {
      const ids = channelIds ?? (await tx.query<{ id: number }>("SELECT id FROM alert_channels WHERE enabled = 1 ORDER BY id")).map((c) => c.id);
      if (!ids.length) throw new InvalidInputError("Create a channel first: recommended rules need one.", [{ path: "channelIds", message: "no channel to notify" }], "invalid_input");
      const taken = new Set((await tx.query<{ name: string }>("SELECT name FROM alert_rules")).map((r) => r.name));
      const items: RuleSummary[] = [];
      for (const r of recommendedRules(ids, tz)) if (!taken.has(r.name)) items.push(await insertRule(tx, await parseRule(r, tx), by, now));
      return { items };
    },
    { isolation: "serializable" },
  );
}
