import { randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { perConnection } from "@/db/statements";
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

function prepareStatements(sqlite: Database.Database) {
  return {
    lastNotified: sqlite.prepare(`SELECT last_notified_at FROM alert_rule_state WHERE rule_id = ? AND scope = ?`).pluck(),
    markNotified: sqlite.prepare(
      `INSERT INTO alert_rule_state (rule_id, scope, last_notified_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET last_notified_at = excluded.last_notified_at`,
    ),
    enabledChannels: sqlite.prepare(`SELECT id FROM alert_channels WHERE enabled = 1 AND id IN (SELECT value FROM json_each(?))`).pluck(),
    insertDelivery: sqlite.prepare(
      `INSERT INTO alert_deliveries (id, rule_id, channel_id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    ),
    enabledRules: sqlite.prepare(`SELECT id, definition FROM alert_rules WHERE enabled = 1 AND trigger IN (SELECT value FROM json_each(?)) ORDER BY id`),
    incident: sqlite.prepare(`SELECT id, reason, line_key, template_key, status, failures FROM incidents WHERE id = ?`),
  };
}

const statements = perConnection(prepareStatements);

export const newDeliveryId = () => `msg_${randomBytes(16).toString("base64url")}`;

/** Enabled rules with one of the triggers. */
export function enabledRules(sqlite: Database.Database, triggers: readonly Trigger[]): StoredRule[] {
  const rows = statements(sqlite).enabledRules.all(JSON.stringify(triggers)) as Array<{ id: number; definition: string }>;
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
export function enqueueNotification(sqlite: Database.Database, rule: StoredRule, scope: string, notification: Notification, now: number): boolean {
  const s = statements(sqlite);
  const last = s.lastNotified.get(rule.id, scope) as number | undefined;
  if (last !== undefined && now - last < rule.definition.repeatMinutes * 60_000) return false;
  const channels = s.enabledChannels.all(JSON.stringify(rule.definition.channelIds)) as number[];
  if (!channels.length) return false;
  s.markNotified.run(rule.id, scope, now);
  const heldUntil = quietHoursEnd(rule.definition.quietHours, now);
  const insert = s.insertDelivery;
  const payload = JSON.stringify(notification);
  for (const channelId of channels) {
    insert.run(newDeliveryId(), rule.id, channelId, notification.type, payload, heldUntil === null ? "pending" : "held", heldUntil ?? now, now);
  }
  return true;
}


function readIncident(sqlite: Database.Database, id: number): IncidentRowForAlert | undefined {
  return statements(sqlite).incident.get(id) as IncidentRowForAlert | undefined;
}

type IncidentEvent = "incident_opened" | "incident_regressed" | "incident_escalating";
const INCIDENT_TYPES = { incident_opened: "incident.opened", incident_regressed: "incident.regressed", incident_escalating: "incident.escalating" } as const;

function notifyIncident(sqlite: Database.Database, rules: StoredRule[], trigger: IncidentEvent, incidentId: number, now: number): void {
  const incident = readIncident(sqlite, incidentId);
  if (!incident || SILENCED_INCIDENT_STATUSES.has(incident.status)) return;
  for (const rule of rules) {
    if (rule.definition.trigger !== trigger) continue;
    if (!scopeMatches(rule.filters, { reason: incident.reason, line: incident.line_key, template: incident.template_key })) continue;
    enqueueNotification(sqlite, rule, `incident:${incident.id}:${trigger}`, incidentNotification(INCIDENT_TYPES[trigger], incident, ruleSource(rule), now), now);
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

  constructor(private readonly sqlite: Database.Database) {}

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

  flush(now = Date.now()): void {
    if (!this.opened.size && !this.regressed.size && !this.escalating.size && !this.templateStatuses.length) return;
    const rules = enabledRules(this.sqlite, ["incident_opened", "incident_regressed", "incident_escalating", "template_status"]);
    if (!rules.length) return;
    for (const id of this.opened) notifyIncident(this.sqlite, rules, "incident_opened", id, now);
    for (const id of this.regressed) notifyIncident(this.sqlite, rules, "incident_regressed", id, now);
    for (const id of this.escalating) notifyIncident(this.sqlite, rules, "incident_escalating", id, now);
    for (const { template, status } of this.templateStatuses) {
      for (const rule of rules) {
        const d = rule.definition;
        if (d.trigger !== "template_status" || !d.templateStatuses?.includes(status)) continue;
        if (!scopeMatches(rule.filters, { template })) continue;
        enqueueNotification(this.sqlite, rule, `template:${template}:${status}`, templateNotification(template, status, ruleSource(rule), now), now);
      }
    }
  }
}
