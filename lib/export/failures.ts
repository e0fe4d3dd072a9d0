import type Database from "better-sqlite3";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { readLineLabels } from "@/lib/lines/labels";
import { countFailures } from "@/lib/queries/failures";
import { and, rawConditions } from "@/lib/queries/failure-filter";
import { reasonInfo } from "@/lib/reasons";
import { tzOffsetMs } from "@/lib/time/zoned";
import { chunkedRows, isoFormatter, maxId, READ_CHUNK_ROWS, type Cell, type RowSource } from "./csv";
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
export function countFailureExport(sqlite: Database.Database, request: ExportRequest): number {
  return countFailures(sqlite, request.filters, request.window.from, request.window.to);
}

/**
 * Every failure the failures table shows for these filters (same window and conditions as
 * listFailures, newest first, no cap), read in keyset chunks below the highest id at the start:
 * rows received during the export are left out, so the file is the table as it was.
 */
export function failureExport(sqlite: Database.Database, request: ExportRequest): { filename: string; source: RowSource } {
  const { filters, window } = request;
  const tz = filters.tz;
  const upperId = maxId(sqlite, "failures");
  // Incident statuses as the export starts, looked up in memory: incidents are few (one per
  // reason × line × template), and a join per row costs ~0.7 s per million rows.
  const statuses = new Map(sqlite.prepare("SELECT id, status FROM incidents").raw(true).all() as Array<[number, string]>);
  const labels = readLineLabels(sqlite);
  const raw = rawConditions(filters);
  // The cursor's time bounds the index range scan; the row value breaks ties on equal times.
  const chunk = sqlite
    .prepare(
      `SELECT f.id, r.dedupe_key, f.occurred_at, r.received_at, f.reason, f.line, f.template, f.poll_id, f.deployment_id,
         f.batch_id, f.country_code, f.cellphone, f.phone_e164, f.incident_id
       FROM failures f JOIN raw_events r ON r.id = f.raw_event_id
       WHERE f.occurred_at >= ? AND f.occurred_at <= ? AND (f.occurred_at, f.id) < (?, ?) AND f.id <= ? AND ${and(raw.sql)}
       ORDER BY f.occurred_at DESC, f.id DESC LIMIT ${READ_CHUNK_ROWS}`,
    )
    .raw(true);
  const [occurred, received] = [isoFormatter(), isoFormatter()];
  const local = tz ? isoInZone(tz) : null;
  const toCells = (r: Row): Cell[] => {
    const info = reasonInfo(r[4]);
    const cells: Cell[] = [decodeDedupeKey(r[1]), occurred(r[2]), received(r[3]), r[4], info?.label ?? r[4], info?.reasonClass, r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], statuses.get(r[13])];
    if (local) cells.push(local(r[2]));
    cells.push(labels.get(r[5]));
    return cells;
  };
  const chunks = chunkedRows<Row, [number, number]>(
    ([t, id]) => chunk.all(window.from, t, t, id, upperId, ...raw.params) as Row[],
    (r) => [r[2], r[0]],
    // (to, 0) sorts after every row with occurred_at < to and before any at `to` (ids start at 1).
    [window.to, 0],
    toCells,
  );
  return {
    filename: exportFilename("failures", window, filters),
    source: { columns: [...FAILURE_COLUMNS, ...(tz ? ["occurred_at_local"] : []), "line_label"], chunks },
  };
}
