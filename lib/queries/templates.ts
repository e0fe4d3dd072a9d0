import type Database from "better-sqlite3";

export interface TemplateStatusChange {
  template: string;
  status: string;
  /** When the status changed (event time), ISO 8601 UTC. */
  at: string;
  receivedAt: string;
}

/** Status changes of a template received through `hsm.status` events, oldest first. */
export function getTemplateStatusHistory(sqlite: Database.Database, template: string): TemplateStatusChange[] {
  const rows = sqlite
    .prepare(
      `SELECT template, status, occurred_at, received_at FROM template_status_events
       WHERE template = ? ORDER BY occurred_at, id LIMIT 1000`,
    )
    .all(template) as Array<{ template: string; status: string; occurred_at: number; received_at: number }>;
  return rows.map((r) => ({
    template: r.template,
    status: r.status,
    at: new Date(r.occurred_at).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
  }));
}
