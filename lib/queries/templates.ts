import type Database from "better-sqlite3";
import { UNAVAILABLE_TEMPLATE_STATUSES, type UnavailableTemplateStatus } from "@/lib/template-status";

export interface TemplateStatusChange {
  template: string;
  status: string;
  /** When the status changed (event time), ISO 8601 UTC. */
  at: string;
  receivedAt: string;
  /** Treble's `affected_conversation_ids` as sent; null when the event had none. */
  affectedConversationIds: Array<number | string> | null;
}

export interface UnavailableTemplate {
  template: string;
  status: UnavailableTemplateStatus;
  /** When it took this status (event time), ISO 8601 UTC. */
  since: string;
}

/** Status changes of a template received through `hsm.status` events, oldest first. */
export function getTemplateStatusHistory(sqlite: Database.Database, template: string): TemplateStatusChange[] {
  const rows = sqlite
    .prepare(
      `SELECT template, status, occurred_at, received_at, affected_conversation_ids FROM template_status_events
       WHERE template = ? ORDER BY occurred_at, id LIMIT 1000`,
    )
    .all(template) as Array<{ template: string; status: string; occurred_at: number; received_at: number; affected_conversation_ids: string | null }>;
  return rows.map((r) => ({
    template: r.template,
    status: r.status,
    at: new Date(r.occurred_at).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    affectedConversationIds: r.affected_conversation_ids === null ? null : (JSON.parse(r.affected_conversation_ids) as Array<number | string>),
  }));
}

/** Templates whose latest status (by event time) is PAUSED, DISABLED or REJECTED, most recent first. */
export function getUnavailableTemplates(sqlite: Database.Database): UnavailableTemplate[] {
  const rows = sqlite
    .prepare(
      `SELECT template, status, occurred_at FROM (
         SELECT template, status, occurred_at,
                row_number() OVER (PARTITION BY template ORDER BY occurred_at DESC, id DESC) AS latest
         FROM template_status_events)
       WHERE latest = 1 AND status IN (SELECT value FROM json_each(?))
       ORDER BY occurred_at DESC LIMIT 1000`,
    )
    .all(JSON.stringify(UNAVAILABLE_TEMPLATE_STATUSES)) as Array<{ template: string; status: UnavailableTemplate["status"]; occurred_at: number }>;
  return rows.map((r) => ({ template: r.template, status: r.status, since: new Date(r.occurred_at).toISOString() }));
}
