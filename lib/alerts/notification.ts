import { getSettings } from "@/lib/config";
import { filtersToSearchParams, UNKNOWN } from "@/lib/filters";
import { REASON_CLASS_LABELS, reasonInfo, type ReasonClass } from "@/lib/reasons";
import { ruleFilters, type RuleFilter } from "./rule-schema";

/**
 * What a notification says, independent of the channel: stored in the outbox as JSON and
 * rendered per channel (signed JSON, Slack Block Kit, a Teams Adaptive Card, e-mail) when sent.
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
  reasonLabel: string;
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
  /** The Faultline view of exactly what this is about. */
  url: string;
  /** One sentence: what happened. */
  title: string;
  /** The reason's meaning and the corrective action, from the catalogue (when one reason applies). */
  meaning: string | null;
  action: string | null;
  incident?: IncidentFacts;
  template?: { name: string; status: string };
  window?: { from: string; to: string; count: number; previousCount: number | null };
  filter?: RuleFilter;
  digest?: { total: number; openIncidents: number; byReason: Array<{ reason: string; label: string; count: number }> };
}

/** The base of every link: PUBLIC_URL, else the local address (Settings warns when it is unset). */
export function publicBase(): string {
  const s = getSettings();
  return (s.PUBLIC_URL ?? `http://localhost:${s.PORT}`).replace(/\/+$/, "");
}

const iso = (ms: number) => new Date(ms).toISOString();
const shown = (key: string) => (key === "" ? UNKNOWN : key);

export interface IncidentRowForAlert {
  id: number;
  reason: string;
  line_key: string;
  template_key: string;
  status: string;
  failures: number;
}

const INCIDENT_TITLES = {
  "incident.opened": "New incident",
  "incident.regressed": "Incident regressed",
  "incident.escalating": "Incident escalating",
} as const;

export function incidentNotification(
  type: keyof typeof INCIDENT_TITLES,
  incident: IncidentRowForAlert,
  rule: { id: number; name: string } | null,
  at: number,
): Notification {
  const info = reasonInfo(incident.reason);
  const url = `${publicBase()}/incidents/${incident.id}`;
  const label = info?.label ?? incident.reason;
  const where = [incident.line_key && `line ${incident.line_key}`, incident.template_key && `template ${incident.template_key}`].filter(Boolean).join(", ");
  return {
    type,
    occurredAt: iso(at),
    rule,
    url,
    title: `${INCIDENT_TITLES[type]}: ${label} (${incident.reason})${where ? ` on ${where}` : ""}`,
    meaning: info?.meaning ?? null,
    action: info?.action ?? null,
    incident: {
      id: incident.id,
      reason: incident.reason,
      reasonLabel: label,
      reasonClass: info?.reasonClass ?? null,
      line: incident.line_key || null,
      template: incident.template_key || null,
      status: incident.status,
      count: incident.failures,
      url,
    },
  };
}

export function templateNotification(template: string, status: string, rule: { id: number; name: string } | null, at: number): Notification {
  return {
    type: "template.status_changed",
    occurredAt: iso(at),
    rule,
    url: `${publicBase()}/templates/${encodeURIComponent(template)}`,
    title: `Template ${template} is now ${status}`,
    meaning: `Meta changed the status of the HSM template ${template} to ${status}; deployments that use it fail until it is approved again.`,
    action:
      status === "REJECTED" || status === "DISABLED"
        ? "Edit the template and resubmit it to Meta (or switch campaigns to an approved one), then retry the affected contacts."
        : "Check the template's quality in WhatsApp Manager and pause campaigns that use it until it is active again.",
    template: { name: template, status },
  };
}

/** The failures view of a rule's filter in a window. */
export function failuresUrl(filter: RuleFilter, from: number, to: number): string {
  const params = filtersToSearchParams({ ...ruleFilters(filter), from: iso(from), to: iso(to) });
  return `${publicBase()}/failures?${params.toString()}`;
}
const split = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);

/** "FAILURE_BY_TIER_CAPACITY on line +57…" — the scope of a filter, for titles. */
export function describeFilter(filter: RuleFilter): string {
  const parts = [
    filter.reason && `reason ${filter.reason}`,
    filter.class && `class ${split(filter.class).map((c) => REASON_CLASS_LABELS[c as ReasonClass] ?? c).join(", ")}`,
    filter.line && `line ${filter.line}`,
    filter.template && `template ${filter.template}`,
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "all failures";
}

/** The meaning and action when the filter names exactly one reason. */
function singleReason(filter: RuleFilter) {
  const reasons = split(filter.reason);
  return reasons.length === 1 ? reasonInfo(reasons[0]!.toUpperCase()) : undefined;
}

export function windowNotification(
  type: "threshold.exceeded" | "change.exceeded",
  rule: { id: number; name: string },
  filter: RuleFilter,
  window: { from: number; to: number; count: number; previousCount: number | null },
  at: number,
): Notification {
  const info = singleReason(filter);
  const minutes = Math.round((window.to - window.from) / 60_000);
  const change =
    window.previousCount === null
      ? ""
      : window.previousCount === 0
        ? ` (none the same time last week)`
        : ` (${window.previousCount} the same time last week, ${Math.round(((window.count - window.previousCount) / window.previousCount) * 100)}% more)`;
  return {
    type,
    occurredAt: iso(at),
    rule,
    url: failuresUrl(filter, window.from, window.to),
    title: `${window.count} failures in the last ${minutes} min for ${describeFilter(filter)}${change}`,
    meaning: info?.meaning ?? null,
    action: info?.action ?? null,
    window: { from: iso(window.from), to: iso(window.to), count: window.count, previousCount: window.previousCount },
    filter,
  };
}

export function digestNotification(
  rule: { id: number; name: string },
  summary: { from: number; to: number; total: number; openIncidents: number; byReason: Array<{ reason: string; count: number }> },
  at: number,
): Notification {
  const top = summary.byReason[0];
  return {
    type: "digest",
    occurredAt: iso(at),
    rule,
    url: `${publicBase()}/?from=${iso(summary.from)}&to=${iso(summary.to)}`,
    title: `Daily digest: ${summary.total} failures in the past 24 h, ${summary.openIncidents} open incidents${top ? `; most: ${reasonInfo(top.reason)?.label ?? top.reason} (${top.count})` : ""}`,
    meaning: top ? (reasonInfo(top.reason)?.meaning ?? null) : null,
    action: top ? (reasonInfo(top.reason)?.action ?? null) : null,
    window: { from: iso(summary.from), to: iso(summary.to), count: summary.total, previousCount: null },
    digest: {
      total: summary.total,
      openIncidents: summary.openIncidents,
      byReason: summary.byReason.map((r) => ({ reason: r.reason, label: reasonInfo(r.reason)?.label ?? r.reason, count: r.count })),
    },
  };
}

export function testNotification(channelName: string, at: number): Notification {
  return {
    type: "test",
    occurredAt: iso(at),
    rule: null,
    url: `${publicBase()}/settings/alerts`,
    title: `Test notification from Faultline to ${channelName}`,
    meaning: null,
    action: null,
  };
}

/** The facts shown as fields/facts in chat messages and e-mail. */
export function facts(n: Notification): Array<{ title: string; value: string }> {
  const out: Array<{ title: string; value: string }> = [];
  if (n.incident) {
    out.push({ title: "Reason", value: `${n.incident.reasonLabel} (${n.incident.reason})` });
    out.push({ title: "Line", value: shown(n.incident.line ?? "") });
    out.push({ title: "Template", value: shown(n.incident.template ?? "") });
    out.push({ title: "Count", value: String(n.incident.count) });
  }
  if (n.template) {
    out.push({ title: "Template", value: n.template.name });
    out.push({ title: "Status", value: n.template.status });
  }
  if (n.window && n.type !== "digest") {
    if (n.filter?.reason) out.push({ title: "Reason", value: n.filter.reason });
    if (n.filter?.line) out.push({ title: "Line", value: n.filter.line });
    if (n.filter?.template) out.push({ title: "Template", value: n.filter.template });
    out.push({ title: "Count", value: String(n.window.count) });
    if (n.window.previousCount !== null) out.push({ title: "A week earlier", value: String(n.window.previousCount) });
  }
  if (n.digest) {
    out.push({ title: "Failures (24 h)", value: String(n.digest.total) });
    out.push({ title: "Open incidents", value: String(n.digest.openIncidents) });
    for (const r of n.digest.byReason.slice(0, 5)) out.push({ title: r.label, value: String(r.count) });
  }
  return out;
}
