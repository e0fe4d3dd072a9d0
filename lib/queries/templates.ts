import type { Dialect } from "@/db/engine";
import { all, type Steps } from "@/db/steps";
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

/** Status changes of a template received through `hsm.status` events, oldest first. A read (lib/read/reads.ts). */
export function* templateStatusHistory(template: string): Steps<TemplateStatusChange[]> {
  const rows = yield* all<{ template: string; status: string; occurred_at: number; received_at: number; affected_conversation_ids: string | null }>(
    `SELECT template, status, occurred_at, received_at, affected_conversation_ids FROM template_status_events
     WHERE template = ? ORDER BY occurred_at, id LIMIT 1000`,
    [template],
  );
  return rows.map((r) => ({
    template: r.template,
    status: r.status,
    at: new Date(r.occurred_at).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    affectedConversationIds: r.affected_conversation_ids === null ? null : (JSON.parse(r.affected_conversation_ids) as Array<number | string>),
  }));
}

/** Templates whose latest status (by event time) is PAUSED, DISABLED or REJECTED, most recent first. A read (lib/read/reads.ts). */
export function* unavailableTemplates(dialect: Dialect): Steps<UnavailableTemplate[]> {
  const rows = yield* all<{ template: string; status: UnavailableTemplate["status"]; occurred_at: number }>(
    `SELECT template, status, occurred_at FROM (
       SELECT id, template, status, occurred_at,
              row_number() OVER (PARTITION BY template ORDER BY occurred_at DESC, id DESC) AS latest
       FROM template_status_events) AS t
     WHERE latest = 1 AND status IN ${dialect.jsonArrayValues("text")}
     ORDER BY occurred_at DESC, id DESC LIMIT 1000`,
    [JSON.stringify(UNAVAILABLE_TEMPLATE_STATUSES)],
  );
  return rows.map((r) => ({ template: r.template, status: r.status, since: new Date(r.occurred_at).toISOString() }));
}
