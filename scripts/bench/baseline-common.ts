// What the two benchmark baselines (baseline-express.ts, baseline-raw.ts) share: settings, the
// database (same migrations and pragmas as Faultline), the row mapping and the SQL. Keeping this in
// one place means the baselines differ only in what they are meant to compare: the HTTP layer and
// the transaction strategy.
import type http from "node:http";
import type Database from "better-sqlite3";
import { openDatabase, type DbHandle } from "@/db/client";
import { REASONS } from "@/lib/reasons";

export const WEBHOOK_PATH = "/api/webhooks/treble";
export const HEALTH_PATH = "/api/health";

export interface BaselineSettings {
  host: string;
  port: number;
  databasePath: string;
  secret: string;
}

/** Same variables as the production server, so the bench driver starts all three alike. */
export function readSettings(): BaselineSettings {
  const port = Number(process.env.PORT);
  const databasePath = process.env.DATABASE_PATH;
  const secret = process.env.WEBHOOK_SECRET;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("PORT must be set to a port number");
  if (!databasePath) throw new Error("DATABASE_PATH must be set");
  if (!secret) throw new Error("WEBHOOK_SECRET must be set");
  // Loopback by default: a benchmark receiver has no business listening on other interfaces.
  return { host: process.env.HOST ?? "127.0.0.1", port, databasePath, secret };
}

/** openDatabase from db/client.ts: the same schema and the same WAL + synchronous=FULL pragmas. */
export function openBaselineDatabase(file: string): DbHandle {
  return openDatabase(file);
}

const KNOWN_REASONS = new Set(REASONS.map((r) => r.code));

type RawRow = [dedupeKey: string, eventType: string, occurredAt: number, fromReceipt: number, receivedAt: number, payload: string];
type FailureRow = [
  occurredAt: number,
  reason: string,
  reasonKnown: number,
  line: string | null,
  template: string | null,
  countryCode: string | null,
  cellphone: string | null,
  phoneE164: string | null,
  pollId: string | null,
  deploymentId: string | null,
  batchId: string | null,
  userSessionKeys: string | null,
];

export interface EventRows {
  raw: RawRow;
  failure: FailureRow;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * The mapping a user would write against the documented field names only (no aliases, no length
 * limits): it is the baseline's job to be lean, not complete. Returns null for a body that is not
 * a deployment.failure with an event_id and a reason.
 */
export function toRows(body: unknown, payload: string, receivedAt: number): EventRows | null {
  if (!isRecord(body)) return null;
  const eventId = str(body.event_id);
  const reason = str(body.failure_reason);
  if (!eventId || body.event_type !== "deployment.failure" || !reason) return null;
  const parsedTime = typeof body.timestamp === "string" ? Date.parse(body.timestamp) : Number.NaN;
  const fromReceipt = Number.isNaN(parsedTime);
  const occurredAt = fromReceipt ? receivedAt : parsedTime;
  const hsm = isRecord(body.hsm) ? body.hsm : {};
  const user = isRecord(body.user) ? body.user : {};
  const countryCode = str(user.country_code);
  const cellphone = str(user.cellphone);
  return {
    raw: [eventId, "deployment.failure", occurredAt, fromReceipt ? 1 : 0, receivedAt, payload],
    failure: [
      occurredAt,
      reason,
      KNOWN_REASONS.has(reason) ? 1 : 0,
      str(body.line),
      str(hsm.name),
      countryCode,
      cellphone,
      countryCode && cellphone ? `+${countryCode}${cellphone}` : null,
      str(body.poll_id),
      str(body.deployment_id),
      str(body.batch_id),
      body.user_session_keys === undefined ? null : JSON.stringify(body.user_session_keys),
    ],
  };
}

export interface Inserter {
  /** Inserts one event; returns false when its event_id was already stored (a duplicate delivery). */
  insert(rows: EventRows): boolean;
}

const FAILURE_COLUMNS = `raw_event_id, occurred_at, reason, reason_known, line, template,
  country_code, cellphone, phone_e164, poll_id, deployment_id, batch_id, user_session_keys`;

/**
 * Prepared once, reused for every request: the baselines' whole storage layer — one INSERT into
 * raw_events and one into failures per event.
 *
 * When the schema gives failures a required incident_id (the incidents table), the baseline
 * resolves it the way a pragmatic hand-written receiver would: an upsert the first time a
 * (reason, line, template) is seen, remembered in memory after that. So the per-request work stays
 * the two INSERTs, the rows are valid under foreign_keys=ON, and the baseline does none of
 * Faultline's incident counters or rollups — that extra work is part of what is being measured.
 */
export function prepareInserter(sqlite: Database.Database): Inserter {
  const failureColumns = (sqlite.pragma("table_info(failures)") as Array<{ name: string }>).map((c) => c.name);
  const withIncident = failureColumns.includes("incident_id");
  const insertRaw = sqlite.prepare(
    `INSERT INTO raw_events (dedupe_key, event_type, occurred_at, occurred_at_from_receipt, received_at, payload)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING`,
  );
  const insertFailure = withIncident
    ? sqlite.prepare(`INSERT INTO failures (${FAILURE_COLUMNS}, incident_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    : sqlite.prepare(`INSERT INTO failures (${FAILURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const upsertIncident = withIncident
    ? sqlite.prepare(
        `INSERT INTO incidents (reason, line_key, template_key, first_seen, last_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(reason, line_key, template_key) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen) RETURNING id`,
      )
    : undefined;
  const incidentIds = new Map<string, number | bigint>();

  const incidentOf = (rows: EventRows): number | bigint | undefined => {
    if (!upsertIncident) return undefined;
    const [occurredAt, reason, , line, template] = rows.failure;
    const receivedAt = rows.raw[4];
    const key = JSON.stringify([reason, line ?? "", template ?? ""]);
    let id = incidentIds.get(key);
    if (id === undefined) {
      id = (upsertIncident.get(reason, line ?? "", template ?? "", occurredAt, occurredAt, receivedAt) as { id: number }).id;
      incidentIds.set(key, id);
    }
    return id;
  };

  return {
    insert(rows) {
      const incidentId = incidentOf(rows);
      const info = insertRaw.run(...rows.raw);
      if (info.changes === 0) return false;
      if (incidentId === undefined) insertFailure.run(info.lastInsertRowid, ...rows.failure);
      else insertFailure.run(info.lastInsertRowid, ...rows.failure, incidentId);
      return true;
    },
  };
}

/** Longest a SIGTERM may wait for open requests before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * Exits cleanly on SIGTERM/SIGINT: stop accepting, let in-flight requests finish (so every 2xx the
 * bench counted has its rows), checkpoint the WAL and close the database.
 */
export function closeOnSignal(server: http.Server, handle: DbHandle): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      handle.sqlite.pragma("wal_checkpoint(TRUNCATE)");
      handle.sqlite.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
