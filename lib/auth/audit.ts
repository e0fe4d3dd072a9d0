import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { parseQuery, type QueryParams } from "@/lib/validate";

/** What the audit log records. */
export const AUDIT_ACTIONS = {
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in",
  lockout: "Sign-ins locked out",
  lockout_cleared: "Cleared a sign-in lockout",
  setup: "Created the first admin",
  user_created: "Created a user",
  user_role_changed: "Changed a role",
  user_disabled: "Disabled a user",
  user_enabled: "Enabled a user",
  token_created: "Created an API token",
  token_revoked: "Revoked an API token",
  webhook_secret_rotated: "Rotated the webhook secret",
  incident_acknowledged: "Acknowledged an incident",
  incident_resolved: "Resolved an incident",
  incident_reopened: "Reopened an incident",
  redeploy_plan_created: "Created a re-deployment plan",
  redeploy_plan_sent: "Sent a re-deployment plan",
  redeploy_plan_paused: "Paused a re-deployment plan",
  redeploy_plan_resumed: "Resumed a re-deployment plan",
  redeploy_plan_cancelled: "Cancelled a re-deployment plan",
  redeploy_settings_changed: "Changed re-deployment settings",
  field_mapping_changed: "Changed the field mapping",
  events_reprocessed: "Re-processed quarantined events",
  incident_snoozed: "Snoozed an incident",
  incident_unsnoozed: "Unsnoozed an incident",
  incident_ignored: "Ignored an incident",
  incident_assigned: "Assigned an incident",
  incident_commented: "Commented on an incident",
  incident_regressed: "An incident regressed",
  incident_auto_resolved: "Auto-resolved an incident",
  incident_settings_changed: "Changed the incident settings",
  alert_channel_created: "Created an alert channel",
  alert_channel_changed: "Changed an alert channel",
  alert_channel_deleted: "Deleted an alert channel",
  alert_channel_secret_rotated: "Rotated an alert channel's signing secret",
  alert_rule_created: "Created an alert rule",
  alert_rule_changed: "Changed an alert rule",
  alert_rule_deleted: "Deleted an alert rule",
  line_label_changed: "Renamed a line",
} as const;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** Who acted: a user, or null for the command line / the server itself / an unknown person. */
export interface Actor {
  id: string | null;
  email: string | null;
}

/** The command line and the server's start-up act as nobody in particular. */
export const SYSTEM_ACTOR: Actor = { id: null, email: null };

export interface AuditEntry {
  actor: Actor;
  action: AuditAction;
  target?: string | null;
  detail?: string | null;
  ip?: string | null;
  at: number;
}

/**
 * Adds one row through the engine: pass the `tx` of the transaction that makes the change it
 * records, so both commit or neither does.
 */
export async function appendAudit(q: Queryable, entry: AuditEntry): Promise<void> {
  await q.exec("INSERT INTO audit_log (at, actor_id, actor_email, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?)", [
    entry.at,
    entry.actor.id,
    entry.actor.email,
    entry.action,
    entry.target ?? null,
    entry.detail ?? null,
    entry.ip ?? null,
  ]);
}

/** Deletes the entries older than `before` (epoch ms). Returns how many. */
export async function pruneAudit(before: number): Promise<number> {
  return (await getEngine().exec("DELETE FROM audit_log WHERE at < ?", [before])).changes;
}

export interface AuditItem {
  id: number;
  at: string;
  actorEmail: string | null;
  action: AuditAction;
  actionLabel: string;
  target: string | null;
  detail: string | null;
  ip: string | null;
}

export interface AuditPage {
  items: AuditItem[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: number | null;
}

const pageSchema = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

interface AuditRow {
  id: number;
  at: number;
  actor_email: string | null;
  action: string;
  target: string | null;
  detail: string | null;
  ip: string | null;
}

/** Newest first, keyset-paginated by id: `before` (an id) and `limit` from the query string; throws InvalidInputError. */
export async function listAudit(params: QueryParams): Promise<AuditPage> {
  const { before, limit } = parseQuery(pageSchema, params);
  const rows = await getEngine().query<AuditRow>(
    `SELECT id, at, actor_email, action, target, detail, ip FROM audit_log ${before === undefined ? "" : "WHERE id < ?"} ORDER BY id DESC LIMIT ?`,
    before === undefined ? [limit + 1] : [before, limit + 1],
  );
  const items = rows.slice(0, limit).map((r) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    actorEmail: r.actor_email,
    action: r.action as AuditAction,
    actionLabel: AUDIT_ACTIONS[r.action as AuditAction] ?? r.action,
    target: r.target,
    detail: r.detail,
    ip: r.ip,
  }));
  return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.id : null };
}
