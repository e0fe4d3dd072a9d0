import type Database from "better-sqlite3";
import type { DbHandle } from "@/db/client";
import type { NormalizedEvent } from "./normalize";

/** An event ready to be written: normalised fields plus what identifies and preserves it. */
export interface PreparedEvent extends NormalizedEvent {
  dedupeKey: string;
  receivedAt: number;
  payload: string;
}

export interface StoreResult {
  accepted: number;
  duplicates: number;
}

interface Statements {
  insertRaw: Database.Statement;
  insertFailure: Database.Statement;
  insertTemplateStatus: Database.Statement;
}

// Plain prepared statements: this is the hot path, and the SQL is fixed.
const statementsByDb = new WeakMap<Database.Database, Statements>();

function statements(sqlite: Database.Database): Statements {
  let s = statementsByDb.get(sqlite);
  if (!s) {
    s = {
      insertRaw: sqlite.prepare(
        `INSERT INTO raw_events (dedupe_key, event_id, event_type, occurred_at, occurred_at_from_receipt, received_at, payload)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id`,
      ),
      insertFailure: sqlite.prepare(
        `INSERT INTO failures (raw_event_id, dedupe_key, occurred_at, received_at, reason, reason_known, line, template,
           country_code, cellphone, phone_e164, poll_id, deployment_id, batch_id, session_id, user_session_keys)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertTemplateStatus: sqlite.prepare(
        `INSERT INTO template_status_events (raw_event_id, template, status, occurred_at, received_at) VALUES (?, ?, ?, ?, ?)`,
      ),
    };
    statementsByDb.set(sqlite, s);
  }
  return s;
}

/**
 * Writes events idempotently (a known dedupe key stores nothing). Must run inside a transaction:
 * the caller decides its extent (one request, or a group commit of many).
 */
export function writeEvents(sqlite: Database.Database, events: readonly PreparedEvent[]): StoreResult {
  const s = statements(sqlite);
  let accepted = 0;
  let duplicates = 0;
  for (const e of events) {
    const row = s.insertRaw.get(
      e.dedupeKey,
      e.eventId,
      e.eventType,
      e.occurredAt,
      e.occurredAtFromReceipt ? 1 : 0,
      e.receivedAt,
      e.payload,
    ) as { id: number } | undefined;
    if (!row) {
      duplicates++;
      continue;
    }
    accepted++;
    const f = e.failure;
    if (f) {
      s.insertFailure.run(
        row.id,
        e.dedupeKey,
        e.occurredAt,
        e.receivedAt,
        f.reason,
        f.reasonKnown ? 1 : 0,
        f.line,
        f.template,
        f.countryCode,
        f.cellphone,
        f.phoneE164,
        f.pollId,
        f.deploymentId,
        f.batchId,
        f.sessionId,
        f.userSessionKeys,
      );
    }
    if (e.templateStatus) {
      s.insertTemplateStatus.run(row.id, e.templateStatus.template, e.templateStatus.status, e.occurredAt, e.receivedAt);
    }
  }
  return { accepted, duplicates };
}

/** Stores one request's events in their own transaction (all or nothing). */
export function storeEvents(handle: DbHandle, events: readonly PreparedEvent[]): StoreResult {
  return handle.sqlite.transaction(() => writeEvents(handle.sqlite, events))();
}
