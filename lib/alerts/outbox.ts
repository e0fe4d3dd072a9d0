import { randomBytes } from "node:crypto";
import type { Dialect } from "@/db/engine";
import { all, get, perDialect, run, type Steps } from "@/db/steps";
import { allowedReasons, UNKNOWN, type Filters } from "@/lib/filters";
import { incidentNotification, ruleSource, templateNotification, type IncidentRowForAlert, type Notification } from "./notification";
import { ruleFilters, type RuleDefinition, type Trigger } from "./rule-schema";
import { quietHoursEnd } from "./schedule";
import type { IncidentListener } from "@/lib/incidents/at-ingest";

/**
 * The outbox: notifications are written as delivery rows inside the transaction of the change
 * that caused them (an ingest group commit, an escalation), so a crash can never keep one
 * without the other. The dispatcher (lib/alerts/dispatcher.ts) sends them later, off that path.
 */

/** Incident statuses that never alert (set by people: snoozed, ignored). */
export const SILENCED_INCIDENT_STATUSES = new Set(["snoozed", "ignored"]);

export interface StoredRule {
  id: number;
  definition: RuleDefinition;
  /** The definition's filter, parsed once. */
  filters: Filters;
}

const SQL = perDialect((d: Dialect) => ({
  // Notifies at most once per repeat interval, even from instances deciding at once: the second
  // waits for the first's row and then finds it notified too recently (no row back).
  markNotified: `INSERT INTO alert_rule_state (rule_id, scope, last_notified_at) VALUES (?, ?, ?)
    ON CONFLICT (rule_id, scope) DO UPDATE SET last_notified_at = excluded.last_notified_at WHERE alert_rule_state.last_notified_at <= ?
    RETURNING rule_id`,
  enabledChannels: `SELECT id FROM alert_channels WHERE enabled = 1 AND id IN ${d.jsonArrayValues("integer")} ORDER BY id`,
  insertDelivery: `INSERT INTO alert_deliveries (id, rule_id, channel_id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  enabledRules: `SELECT id, definition FROM alert_rules WHERE enabled = 1 AND trigger IN ${d.jsonArrayValues("text")} ORDER BY id`,
  incident: `SELECT id, reason, line_key, template_key, status, failures FROM incidents WHERE id = ?`,
}));

export const newDeliveryId = () => `msg_${randomBytes(16).toString("base64url")}`;

/** Enabled rules with one of the triggers. */
export function* enabledRules(dialect: Dialect, triggers: readonly Trigger[]): Steps<StoredRule[]> {
  const rows = yield* all<{ id: number; definition: string }>(SQL(dialect).enabledRules, [JSON.stringify(triggers)]);
  return rows.map((r) => {
    const definition = JSON.parse(r.definition) as RuleDefinition;
    return { id: r.id, definition, filters: ruleFilters(definition.filter) };
  });
}

const unknownAware = (values: string[]) => values.map((v) => (v === UNKNOWN ? "" : v));

/** Whether a failure scope (line/template "" = unknown) matches a rule's filter. */
export function scopeMatches(filters: Filters, scope: { reason?: string; line?: string; template?: string }): boolean {
  if (scope.reason !== undefined) {
    const reasons = allowedReasons(filters);
    if (reasons && !reasons.includes(scope.reason)) return false;
  }
  if (scope.line !== undefined && filters.line.length && !unknownAware(filters.line).includes(scope.line)) return false;
  if (scope.template !== undefined && filters.template.length && !unknownAware(filters.template).includes(scope.template)) return false;
  return true;
}

/**
 * Writes a notification for every channel of `rule`, unless the rule notified about `scope`
 * within its repeat interval. Held (not pending) while the rule's quiet hours last. Must run
 * inside the caller's transaction. Returns whether anything was written.
 */
export function* enqueueNotification(dialect: Dialect, rule: StoredRule, scope: string, notification: Notification, now: number): Steps<boolean> {
  const sql = SQL(dialect);
  const channels = yield* all<{ id: number }>(sql.enabledChannels, [JSON.stringify(rule.definition.channelIds)]);
  if (!channels.length) return false;
  if (!(yield* get(sql.markNotified, [rule.id, scope, now, now - rule.definition.repeatMinutes * 60_000]))) return false;
  const heldUntil = quietHoursEnd(rule.definition.quietHours, now);
  const payload = JSON.stringify(notification);
  for (const { id: channelId } of channels) {
    yield* run(sql.insertDelivery, [newDeliveryId(), rule.id, channelId, notification.type, payload, heldUntil === null ? "pending" : "held", heldUntil ?? now, now]);
  }
  return true;
}

type IncidentEvent = "incident_opened" | "incident_regressed" | "incident_escalating";
const INCIDENT_TYPES = { incident_opened: "incident.opened", incident_regressed: "incident.regressed", incident_escalating: "incident.escalating" } as const;

function* notifyIncident(dialect: Dialect, rules: StoredRule[], trigger: IncidentEvent, incidentId: number, now: number): Steps<void> {
  const incident = yield* get<IncidentRowForAlert>(SQL(dialect).incident, [incidentId]);
  if (!incident || SILENCED_INCIDENT_STATUSES.has(incident.status)) return;
  for (const rule of rules) {
    if (rule.definition.trigger !== trigger) continue;
    if (!scopeMatches(rule.filters, { reason: incident.reason, line: incident.line_key, template: incident.template_key })) continue;
    yield* enqueueNotification(dialect, rule, `incident:${incident.id}:${trigger}`, incidentNotification(INCIDENT_TYPES[trigger], incident, ruleSource(rule), now), now);
  }
}

/**
 * What one ingest transaction may notify about, gathered while events are written and turned
 * into delivery rows by `flush`, after the incident counters (so counts are current) and before
 * COMMIT. Costs nothing when no incident opened or regressed and no template changed status.
 */
export class AlertOutbox implements IncidentListener {
  private readonly opened = new Set<number>();
  private readonly regressed = new Set<number>();
  private readonly escalating = new Set<number>();
  private readonly templateStatuses: Array<{ template: string; status: string }> = [];

  constructor(private readonly dialect: Dialect) {}

  incidentOpened(id: number): void {
    this.opened.add(id);
  }

  incidentRegressed(id: number): void {
    this.regressed.add(id);
  }

  incidentEscalating(id: number): void {
    this.escalating.add(id);
  }

  templateStatus(template: string, status: string): void {
    this.templateStatuses.push({ template, status: status.toUpperCase() });
  }

  *flush(now = Date.now()): Steps<void> {
    if (!this.opened.size && !this.regressed.size && !this.escalating.size && !this.templateStatuses.length) return;
    const rules = yield* enabledRules(this.dialect, ["incident_opened", "incident_regressed", "incident_escalating", "template_status"]);
    if (!rules.length) return;
    for (const id of this.opened) yield* notifyIncident(this.dialect, rules, "incident_opened", id, now);
    for (const id of this.regressed) yield* notifyIncident(this.dialect, rules, "incident_regressed", id, now);
    for (const id of this.escalating) yield* notifyIncident(this.dialect, rules, "incident_escalating", id, now);
    for (const { template, status } of this.templateStatuses) {
      for (const rule of rules) {
        const d = rule.definition;
        if (d.trigger !== "template_status" || !d.templateStatuses?.includes(status)) continue;
        if (!scopeMatches(rule.filters, { template })) continue;
        yield* enqueueNotification(this.dialect, rule, `template:${template}:${status}`, templateNotification(template, status, ruleSource(rule), now), now);
      }
    }
  }
}
