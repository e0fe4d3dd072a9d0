import type { Dialect } from "@/db/engine";
import { all, values, type Steps } from "@/db/steps";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { labelsInSnapshot } from "@/lib/lines/labels";
import { failureTotal } from "@/lib/queries/counts";
import { and, rawConditions } from "@/lib/queries/failure-filter";
import { reasonInfo } from "@/lib/reasons";
import { tzOffsetMs } from "@/lib/time/zoned";
import { isoFormatter, keysetChunks, maxId, READ_CHUNK_ROWS, type Cell, type OpenedExport } from "./csv";
import { exportFilename, type ExportRequest } from "./options";

/** The documented columns of GET /api/failures/export, in order (then `occurred_at_local` with `tz`, then `line_label`). */
export const FAILURE_COLUMNS = [
  "event_id",
  "occurred_at",
  "received_at",
  "reason",
  "reason_label",
  "reason_class",
  "line",
  "template",
  "poll_id",
  "deployment_id",
  "batch_id",
  "country_code",
  "cellphone",
  "phone_e164",
  "incident_id",
  "incident_status",
] as const;

/** An exported failure as the chunk statement's columns, in its SELECT's order (read as arrays: see `values`). */
type Row = [
  id: number,
  dedupeKey: Buffer,
  occurredAt: number,
  receivedAt: number,
  reason: string,
  line: string,
  template: string,
  pollId: string | null,
  deploymentId: string | null,
  batchId: string | null,
  countryCode: string | null,
  cellphone: string | null,
  phoneE164: string | null,
  incidentId: number,
];

const pad = (n: number) => String(n).padStart(2, "0");

/** ISO 8601 local time with its offset in `tz`, e.g. 2026-11-25T09:02:03.000-05:00. */
export function isoInZone(tz: string): (t: number) => string {
  const iso = isoFormatter();
  return (t) => {
    const offset = tzOffsetMs(tz, t);
    const minutes = Math.abs(offset) / 60_000;
    return `${iso(t + offset).slice(0, -1)}${offset < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  };
}

/** How many rows the export of these filters holds: the failures table's own total. */
export function* failureExportCount(dialect: Dialect, { request }: { request: ExportRequest }): Steps<number> {
  return yield* failureTotal(dialect, request.filters, request.window.from, request.window.to);
}

/**
 * Every failure the failures table shows for these filters (same window and conditions as
 * listFailures, newest first, no cap), read in keyset chunks below the highest id at the start:
 * rows received during the export are left out, so the file is the table as it was.
 */
export function* failureExport(dialect: Dialect, { request }: { request: ExportRequest }): Steps<OpenedExport> {
  const { filters, window } = request;
  const tz = filters.tz;
  const upperId = yield* maxId("failures");
  // Incident statuses as the export starts, looked up in memory: incidents are few (one per
  // reason × line × template), and a join per row costs ~0.7 s per million rows.
  const statuses = new Map((yield* all<{ id: number; status: string }>("SELECT id, status FROM incidents", [])).map((r) => [r.id, r.status]));
  const labels = yield* labelsInSnapshot();
  const raw = rawConditions(filters, dialect);
  // The cursor's time bounds the index range scan; the row value breaks ties on equal times.
  const chunkSql = `SELECT f.id, r.dedupe_key, f.occurred_at, r.received_at, f.reason, f.line, f.template, f.poll_id, f.deployment_id,
       f.batch_id, f.country_code, f.cellphone, f.phone_e164, f.incident_id
     FROM failures f JOIN raw_events r ON r.id = f.raw_event_id
     WHERE f.occurred_at >= ? AND f.occurred_at <= ? AND (f.occurred_at, f.id) < (?, ?) AND f.id <= ? AND ${and(raw.sql)}
     ORDER BY f.occurred_at DESC, f.id DESC LIMIT ${READ_CHUNK_ROWS}`;
  const [occurred, received] = [isoFormatter(), isoFormatter()];
  const local = tz ? isoInZone(tz) : null;
  const toCells = ([, dedupeKey, occurredAt, receivedAt, reason, line, template, pollId, deploymentId, batchId, countryCode, cellphone, phoneE164, incidentId]: Row): Cell[] => {
    const info = reasonInfo(reason);
    const cells: Cell[] = [
      ...[decodeDedupeKey(dedupeKey), occurred(occurredAt), received(receivedAt), reason, info?.label ?? reason, info?.reasonClass, line, template],
      ...[pollId, deploymentId, batchId, countryCode, cellphone, phoneE164, incidentId, statuses.get(incidentId)],
    ];
    if (local) cells.push(local(occurredAt));
    cells.push(labels.get(line));
    return cells;
  };
  const nextChunk = keysetChunks<Row, [number, number]>(
    ([t, id]) => values<Row>(chunkSql, [window.from, t, t, id, upperId, ...raw.params]),
    ([id, , occurredAt]) => [occurredAt, id],
    // (to, 0) sorts after every row with occurred_at < to and before any at `to` (ids start at 1).
    [window.to, 0],
    toCells,
  );
  return {
    filename: exportFilename("failures", window, filters),
    columns: [...FAILURE_COLUMNS, ...(tz ? ["occurred_at_local"] : []), "line_label"],
    nextChunk,
  };
}
