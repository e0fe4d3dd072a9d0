import { getSettings } from "@/lib/config";
import { filtersToSearchParams } from "@/lib/filters";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";
import { ruleFilters, type RuleDefinition, type RuleFilter } from "./rule-schema";

/**
 * What a notification is about, independent of channel and language: the facts, stored in the
 * outbox as JSON. Its words (title, meaning, action, labels) are written when it is sent, in the
 * channel's language (lib/alerts/message-text.ts), and rendered per channel (render.ts).
 */

export const NOTIFICATION_TYPES = [
  "incident.opened",
  "incident.regressed",
  "incident.escalating",
  "template.status_changed",
  "threshold.exceeded",
  "change.exceeded",
  "digest",
  "test",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface IncidentFacts {
  id: number;
  reason: string;
  reasonClass: ReasonClass | null;
  line: string | null;
  template: string | null;
  status: string;
  count: number;
  url: string;
}

export interface Notification {
  type: NotificationType;
  occurredAt: string;
  rule: { id: number; name: string } | null;
  /** The IANA zone its dates are shown in: the rule's digest or quiet-hours zone, else UTC. */
  timeZone: string;
  /** The Faultline view of exactly what this is about. */
  url: string;
  incident?: IncidentFacts;
  template?: { name: string; status: string };
  window?: { from: string; to: string; count: number; previousCount: number | null };
  filter?: RuleFilter;
  digest?: { total: number; openIncidents: number; byReason: Array<{ reason: string; count: number }> };
}

/** The rule a notification comes from, as notifications carry it. */
export interface RuleSource {
  id: number;
  name: string;
  timeZone: string;
}

export function ruleSource(rule: { id: number; definition: RuleDefinition }): RuleSource {
  const d = rule.definition;
  return { id: rule.id, name: d.name, timeZone: d.digest?.tz ?? d.quietHours?.tz ?? "UTC" };
}

const fromRule = (rule: RuleSource | null) => ({ rule: rule && { id: rule.id, name: rule.name }, timeZone: rule?.timeZone ?? "UTC" });

/** The base of every link: PUBLIC_URL, else the local address (Settings warns when it is unset). */
export function publicBase(): string {
  const s = getSettings();
  return (s.PUBLIC_URL ?? `http://localhost:${s.PORT}`).replace(/\/+$/, "");
}

const iso = (ms: number) => new Date(ms).toISOString();

export interface IncidentRowForAlert {
  id: number;
  reason: string;
  line_key: string;
  template_key: string;
  status: string;
  failures: number;
}

export type IncidentNotificationType = "incident.opened" | "incident.regressed" | "incident.escalating";

export function incidentNotification(type: IncidentNotificationType, incident: IncidentRowForAlert, rule: RuleSource | null, at: number): Notification {
  const url = `${publicBase()}/incidents/${incident.id}`;
  return {
    type,
    occurredAt: iso(at),
    ...fromRule(rule),
    url,
    incident: {
      id: incident.id,
      reason: incident.reason,
      reasonClass: reasonInfo(incident.reason)?.reasonClass ?? null,
      line: incident.line_key || null,
      template: incident.template_key || null,
      status: incident.status,
      count: incident.failures,
      url,
    },
  };
}

export function templateNotification(template: string, status: string, rule: RuleSource | null, at: number): Notification {
  return {
    type: "template.status_changed",
    occurredAt: iso(at),
    ...fromRule(rule),
    url: `${publicBase()}/templates/${encodeURIComponent(template)}`,
    template: { name: template, status },
  };
}

/** The failures view of a rule's filter in a window. */
export function failuresUrl(filter: RuleFilter, from: number, to: number): string {
  const params = filtersToSearchParams({ ...ruleFilters(filter), from: iso(from), to: iso(to) });
  return `${publicBase()}/failures?${params.toString()}`;
}

export function windowNotification(
  type: "threshold.exceeded" | "change.exceeded",
  rule: RuleSource,
  filter: RuleFilter,
  window: { from: number; to: number; count: number; previousCount: number | null },
  at: number,
): Notification {
  return {
    type,
    occurredAt: iso(at),
    ...fromRule(rule),
    url: failuresUrl(filter, window.from, window.to),
    window: { from: iso(window.from), to: iso(window.to), count: window.count, previousCount: window.previousCount },
    filter,
  };
}

export function digestNotification(
  rule: RuleSource,
  summary: { from: number; to: number; total: number; openIncidents: number; byReason: Array<{ reason: string; count: number }> },
  at: number,
): Notification {
  return {
    type: "digest",
    occurredAt: iso(at),
    ...fromRule(rule),
    url: `${publicBase()}/?from=${iso(summary.from)}&to=${iso(summary.to)}`,
    window: { from: iso(summary.from), to: iso(summary.to), count: summary.total, previousCount: null },
    digest: { total: summary.total, openIncidents: summary.openIncidents, byReason: summary.byReason.map((r) => ({ reason: r.reason, count: r.count })) },
  };
}

/** A test notification (its title names the channel it is sent to). */
export function testNotification(at: number): Notification {
  return { type: "test", occurredAt: iso(at), ...fromRule(null), url: `${publicBase()}/settings/alerts` };
}
