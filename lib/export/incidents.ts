import type Database from "better-sqlite3";
import { readLineLabels } from "@/lib/lines/labels";
import type { Where } from "@/lib/queries/failure-filter";
import { incidentConditions, incidentStatuses } from "@/lib/queries/incident-filter";
import { chunkedRows, maxId, READ_CHUNK_ROWS, type Cell, type RowSource } from "./csv";
import { exportFilename, type ExportRequest } from "./options";

/** The columns of GET /api/incidents/export: the incident fields of the incidents API, in order, then `line_label`. */
export const INCIDENT_COLUMNS = [
  "id",
  "reason",
  "line",
  "template",
  "status",
  "regressed",
  "count",
  "contacts",
  "firstSeen",
  "lastSeen",
  "acknowledgedAt",
  "acknowledgedBy",
  "resolvedAt",
  "resolvedBy",
  "note",
  "escalating",
  "assignee",
  "snoozeUntil",
  "snoozeFailuresLeft",
  "snoozeUntilEscalating",
] as const;

type Row = [
  id: number,
  reason: string,
  line: string,
  template: string,
  status: string,
  regressed: number,
  failures: number,
  contacts: number,
  firstSeen: number,
  lastSeen: number,
  acknowledgedAt: number | null,
  acknowledgedBy: string | null,
  resolvedAt: number | null,
  resolvedBy: string | null,
  note: string | null,
  escalating: number,
  assignee: string | null,
  snoozeUntil: number | null,
  snoozeFailuresLeft: number | null,
  snoozeUntilEscalating: number,
];

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Which incidents the filters select: exactly what the incidents list shows for them (`viewerId`: who `assignee=me` is). */
function incidentConditionsOf(request: ExportRequest, viewerId: string | null): Where {
  return incidentConditions(request.filters, incidentStatuses(request.filters), request.window, viewerId);
}

function count(sqlite: Database.Database, where: Where): number {
  return sqlite.prepare(`SELECT count(*) FROM incidents i WHERE ${where.sql}`).pluck().get(...where.params) as number;
}

export function countIncidentExport(sqlite: Database.Database, request: ExportRequest, viewerId: string | null = null): number {
  return count(sqlite, incidentConditionsOf(request, viewerId));
}

/** The incidents of these filters, newest first (by id: counters change during the export, ids do not). */
export function incidentExport(sqlite: Database.Database, request: ExportRequest, viewerId: string | null = null): { filename: string; source: RowSource } {
  const where = incidentConditionsOf(request, viewerId);
  const upperId = maxId(sqlite, "incidents");
  const labels = readLineLabels(sqlite);
  const chunk = sqlite
    .prepare(
      `SELECT i.id, i.reason, i.line_key, i.template_key, i.status, i.regressed, i.failures, i.contacts, i.first_seen, i.last_seen,
         i.acknowledged_at, i.acknowledged_by, i.resolved_at, i.resolved_by, i.note, i.escalating, u.email,
         i.snooze_until, i.snooze_failures_left, i.snooze_until_escalating
       FROM incidents i LEFT JOIN users u ON u.id = i.assignee_id
       WHERE i.id < ? AND ${where.sql} ORDER BY i.id DESC LIMIT ${READ_CHUNK_ROWS}`,
    )
    .raw(true);
  const chunks = chunkedRows<Row, number>(
    (id) => chunk.all(id, ...where.params) as Row[],
    (r) => r[0],
    upperId + 1,
    (r): Cell[] => {
      const snoozed = r[4] === "snoozed";
      return [
        ...[r[0], r[1], r[2], r[3], r[4], r[5] ? "true" : "false", r[6], r[7], iso(r[8]), iso(r[9]), iso(r[10]), r[11], iso(r[12]), r[13], r[14]],
        r[15] ? "true" : "false",
        r[16],
        snoozed ? iso(r[17]) : null,
        snoozed ? r[18] : null,
        snoozed ? (r[19] ? "true" : "false") : null,
        labels.get(r[2]),
      ];
    },
  );
  return {
    filename: exportFilename("incidents", request.window, request.filters),
    source: { columns: [...INCIDENT_COLUMNS, "line_label"], chunks },
  };
}
