import type { Dialect } from "@/db/engine";
import { all, get, type Steps } from "@/db/steps";
import { labelsInSnapshot } from "@/lib/lines/labels";
import type { Where } from "@/lib/queries/failure-filter";
import { incidentConditions, incidentStatuses } from "@/lib/queries/incident-filter";
import { keysetChunks, maxId, READ_CHUNK_ROWS, type Cell, type OpenedExport } from "./csv";
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

interface Row {
  id: number;
  reason: string;
  line_key: string;
  template_key: string;
  status: string;
  regressed: number;
  failures: number;
  contacts: number;
  first_seen: number;
  last_seen: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  note: string | null;
  escalating: number;
  assignee: string | null;
  snooze_until: number | null;
  snooze_failures_left: number | null;
  snooze_until_escalating: number;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const flag = (v: number) => (v ? "true" : "false");

/** Which incidents the filters select: exactly what the incidents list shows for them (`viewerId`: who `assignee=me` is). */
function incidentConditionsOf(dialect: Dialect, request: ExportRequest, viewerId: string | null): Where {
  return incidentConditions(request.filters, incidentStatuses(request.filters), request.window, viewerId, dialect);
}

type IncidentExportArgs = { request: ExportRequest; viewerId: string | null };

export function* incidentExportCount(dialect: Dialect, { request, viewerId }: IncidentExportArgs): Steps<number> {
  const where = incidentConditionsOf(dialect, request, viewerId);
  return (yield* get<{ n: number }>(`SELECT count(*) AS n FROM incidents i WHERE ${where.sql}`, where.params))!.n;
}

/** The incidents of these filters, newest first (by id: counters change during the export, ids do not). */
export function* incidentExport(dialect: Dialect, { request, viewerId }: IncidentExportArgs): Steps<OpenedExport> {
  const where = incidentConditionsOf(dialect, request, viewerId);
  const upperId = yield* maxId("incidents");
  const labels = yield* labelsInSnapshot();
  const chunkSql = `SELECT i.id, i.reason, i.line_key, i.template_key, i.status, i.regressed, i.failures, i.contacts, i.first_seen, i.last_seen,
       i.acknowledged_at, i.acknowledged_by, i.resolved_at, i.resolved_by, i.note, i.escalating, u.email AS assignee,
       i.snooze_until, i.snooze_failures_left, i.snooze_until_escalating
     FROM incidents i LEFT JOIN users u ON u.id = i.assignee_id
     WHERE i.id < ? AND ${where.sql} ORDER BY i.id DESC LIMIT ${READ_CHUNK_ROWS}`;
  const nextChunk = keysetChunks<Row, number>(
    (id) => all<Row>(chunkSql, [id, ...where.params]),
    (r) => r.id,
    upperId + 1,
    (r): Cell[] => {
      const snoozed = r.status === "snoozed";
      return [
        ...[r.id, r.reason, r.line_key, r.template_key, r.status, flag(r.regressed), r.failures, r.contacts, iso(r.first_seen), iso(r.last_seen)],
        ...[iso(r.acknowledged_at), r.acknowledged_by, iso(r.resolved_at), r.resolved_by, r.note, flag(r.escalating), r.assignee],
        snoozed ? iso(r.snooze_until) : null,
        snoozed ? r.snooze_failures_left : null,
        snoozed ? flag(r.snooze_until_escalating) : null,
        labels.get(r.line_key),
      ];
    },
  );
  return { filename: exportFilename("incidents", request.window, request.filters), columns: [...INCIDENT_COLUMNS, "line_label"], nextChunk };
}
