import type Database from "better-sqlite3";
import type { DbHandle } from "@/db/client";
import type { FailureFields, NormalizedEvent } from "./normalize";

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

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// Plain prepared statements: this is the hot path, and the SQL is fixed.
function prepareStatements(sqlite: Database.Database) {
  return {
    insertRaw: sqlite.prepare(
      `INSERT INTO raw_events (dedupe_key, event_id, event_type, occurred_at, occurred_at_from_receipt, received_at, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id`,
    ),
    findIncident: sqlite.prepare(
      `SELECT id, status FROM incidents WHERE reason = ? AND line_key = ? AND template_key = ?`,
    ),
    insertIncident: sqlite.prepare(
      `INSERT INTO incidents (reason, line_key, template_key, status, first_seen, last_seen, failures, contacts, updated_at)
       VALUES (?, ?, ?, 'open', ?, ?, 0, 0, ?) RETURNING id`,
    ),
    insertFailure: sqlite.prepare(
      `INSERT INTO failures (raw_event_id, dedupe_key, occurred_at, received_at, reason, reason_known, line, template,
         country_code, cellphone, phone_e164, poll_id, deployment_id, batch_id, session_id, user_session_keys, incident_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    insertIncidentContact: sqlite.prepare(`INSERT OR IGNORE INTO incident_contacts (incident_id, contact) VALUES (?, ?)`),
    // A failure received for a resolved incident reopens it as regressed; while acknowledged it
    // counts as new since the acknowledgement. (SET expressions all read the row as it was.)
    countIncidentFailure: sqlite.prepare(
      `UPDATE incidents SET
         failures = failures + 1,
         contacts = contacts + ?,
         first_seen = min(first_seen, ?),
         last_seen = max(last_seen, ?),
         new_since_ack = CASE WHEN status = 'acknowledged' THEN new_since_ack + 1 ELSE new_since_ack END,
         regressed = CASE WHEN status = 'resolved' THEN 1 ELSE regressed END,
         reopened_count = CASE WHEN status = 'resolved' THEN reopened_count + 1 ELSE reopened_count END,
         status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END,
         updated_at = CASE WHEN status = 'resolved' THEN ? ELSE updated_at END
       WHERE id = ?`,
    ),
    insertActivity: sqlite.prepare(
      `INSERT INTO incident_activity (incident_id, at, actor, action, note, failure_id) VALUES (?, ?, NULL, ?, ?, ?)`,
    ),
    bumpHourReason: sqlite.prepare(
      `INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (?, ?, 1)
       ON CONFLICT DO UPDATE SET failures = failures + 1`,
    ),
    bumpHour: sqlite.prepare(
      `INSERT INTO rollup_hour (bucket, reason, line, template, failures) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT DO UPDATE SET failures = failures + 1`,
    ),
    bumpDay: sqlite.prepare(
      `INSERT INTO rollup_day (bucket, reason, line, template, failures) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT DO UPDATE SET failures = failures + 1`,
    ),
    insertTemplateStatus: sqlite.prepare(
      `INSERT INTO template_status_events (raw_event_id, template, status, occurred_at, received_at) VALUES (?, ?, ?, ?, ?)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;
const statementsByDb = new WeakMap<Database.Database, Statements>();

function statements(sqlite: Database.Database): Statements {
  let s = statementsByDb.get(sqlite);
  if (!s) {
    s = prepareStatements(sqlite);
    statementsByDb.set(sqlite, s);
  }
  return s;
}

/** The incident a failure belongs to (created on first sight), and whether it was resolved. */
function incidentFor(s: Statements, f: FailureFields, e: PreparedEvent): { id: number; wasResolved: boolean } {
  const lineKey = f.line ?? "";
  const templateKey = f.template ?? "";
  const found = s.findIncident.get(f.reason, lineKey, templateKey) as { id: number; status: string } | undefined;
  if (found) return { id: found.id, wasResolved: found.status === "resolved" };
  const created = s.insertIncident.get(f.reason, lineKey, templateKey, e.occurredAt, e.occurredAt, e.receivedAt) as {
    id: number;
  };
  return { id: created.id, wasResolved: false };
}

function recordFailure(s: Statements, rawEventId: number, e: PreparedEvent, f: FailureFields): void {
  const incident = incidentFor(s, f, e);
  const failure = s.insertFailure.get(
    rawEventId,
    e.dedupeKey,
    e.occurredAt,
    e.receivedAt,
    f.reason,
    f.reasonKnown ? 1 : 0,
    f.line ?? "",
    f.template ?? "",
    f.countryCode,
    f.cellphone,
    f.phoneE164,
    f.pollId,
    f.deploymentId,
    f.batchId,
    f.sessionId,
    f.userSessionKeys,
    incident.id,
  ) as { id: number };

  const contact = f.phoneE164 ?? f.cellphone;
  const newContact = contact ? s.insertIncidentContact.run(incident.id, contact).changes : 0;
  s.countIncidentFailure.run(newContact, e.occurredAt, e.occurredAt, e.receivedAt, incident.id);
  if (incident.wasResolved) s.insertActivity.run(incident.id, e.receivedAt, "regressed", null, failure.id);

  const line = f.line ?? "";
  const template = f.template ?? "";
  const hour = e.occurredAt - (e.occurredAt % HOUR_MS);
  s.bumpHourReason.run(hour, f.reason);
  s.bumpHour.run(hour, f.reason, line, template);
  s.bumpDay.run(e.occurredAt - (e.occurredAt % DAY_MS), f.reason, line, template);
}

/**
 * Writes events idempotently (a known dedupe key stores nothing), with their failure rows,
 * incident counters and rollups. Must run inside a transaction: the caller decides its extent
 * (one request, or a group commit of many).
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
    if (e.failure) recordFailure(s, row.id, e, e.failure);
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
