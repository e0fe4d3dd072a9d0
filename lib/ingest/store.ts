import type Database from "better-sqlite3";
import type { DbHandle } from "@/db/client";
import { ALL_REASONS_SKETCH } from "@/db/schema";
import { AlertOutbox } from "@/lib/alerts/outbox";
import { addToSketch, emptySketch } from "@/lib/hll";
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

/** The rollup tables and the dimensions (beside bucket and reason) each is keyed by. */
const ROLLUPS = {
  rollup_hour_reason: [],
  rollup_day_reason: [],
  rollup_hour_line: ["line"],
  rollup_hour_template: ["template"],
  rollup_day_line: ["line"],
  rollup_day_template: ["template"],
  rollup_day: ["line", "template"],
} as const satisfies Record<string, readonly string[]>;
type RollupTable = keyof typeof ROLLUPS;

// Plain prepared statements: this is the hot path, and the SQL is fixed.
function prepareStatements(sqlite: Database.Database) {
  const addToRollup = Object.fromEntries(
    (Object.entries(ROLLUPS) as Array<[RollupTable, readonly string[]]>).map(([table, dims]) => [
      table,
      sqlite.prepare(
        `INSERT INTO ${table} (bucket, reason${dims.map((d) => `, ${d}`).join("")}, failures)
         VALUES (?, ?${dims.map(() => ", ?").join("")}, ?) ON CONFLICT DO UPDATE SET failures = failures + excluded.failures`,
      ),
    ]),
  ) as Record<RollupTable, Database.Statement>;
  return {
    addToRollup,
    insertRaw: sqlite.prepare(
      `INSERT INTO raw_events (dedupe_key, event_id, event_type, occurred_at, occurred_at_from_receipt, received_at, payload)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id`,
    ),
    findIncident: sqlite.prepare(`SELECT id, status FROM incidents WHERE reason = ? AND line_key = ? AND template_key = ?`),
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
    // Failures received for a resolved incident reopen it as regressed; while acknowledged they
    // count as new since the acknowledgement. (SET expressions all read the row as it was.)
    countIncidentFailures: sqlite.prepare(
      `UPDATE incidents SET
         failures = failures + ?,
         contacts = contacts + ?,
         first_seen = min(first_seen, ?),
         last_seen = max(last_seen, ?),
         new_since_ack = CASE WHEN status = 'acknowledged' THEN new_since_ack + ? ELSE new_since_ack END,
         regressed = CASE WHEN status = 'resolved' THEN 1 ELSE regressed END,
         reopened_count = CASE WHEN status = 'resolved' THEN reopened_count + 1 ELSE reopened_count END,
         status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END,
         updated_at = CASE WHEN status = 'resolved' THEN ? ELSE updated_at END
       WHERE id = ?`,
    ),
    insertActivity: sqlite.prepare(
      `INSERT INTO incident_activity (incident_id, at, actor, action, note, failure_id) VALUES (?, ?, NULL, ?, ?, ?)`,
    ),
    readSketch: {
      hour: sqlite.prepare(`SELECT registers FROM contact_sketch_hour WHERE bucket = ? AND reason = ?`).pluck(),
      day: sqlite.prepare(`SELECT registers FROM contact_sketch_day WHERE bucket = ? AND reason = ?`).pluck(),
    },
    saveSketch: {
      hour: sqlite.prepare(
        `INSERT INTO contact_sketch_hour (bucket, reason, registers) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET registers = excluded.registers`,
      ),
      day: sqlite.prepare(
        `INSERT INTO contact_sketch_day (bucket, reason, registers) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET registers = excluded.registers`,
      ),
    },
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

interface IncidentDelta {
  id: number;
  /** Stored status when first seen in this batch; a resolved one reopens at the first failure. */
  status: string;
  failures: number;
  contacts: number;
  acknowledgedFailures: number;
  firstSeen: number;
  lastSeen: number;
  reopenedAt: number;
}

/**
 * What one transaction adds to counters, gathered in memory and written once at its end: each
 * rollup row, incident and contact sketch is updated once per commit, not once per failure.
 * One batch serves a whole group commit.
 */
export class WriteBatch {
  private readonly rollups = new Map<string, { table: RollupTable; args: Array<string | number>; n: number }>();
  private readonly incidents = new Map<string, IncidentDelta>();
  private readonly sketches = new Map<string, { kind: "hour" | "day"; bucket: number; reason: string; registers: Uint8Array; dirty: boolean }>();

  constructor(
    private readonly s: Statements,
    /** Alerts: notifications written in this same transaction (lib/alerts/outbox.ts). */
    readonly alerts: AlertOutbox,
  ) {}

  countRollup(table: RollupTable, args: Array<string | number>): void {
    const key = `${table}|${args.join("|")}`;
    const entry = this.rollups.get(key);
    if (entry) entry.n++;
    else this.rollups.set(key, { table, args, n: 1 });
  }

  /** The incident of a failure's (reason, line, template), created on first sight. */
  incident(reason: string, lineKey: string, templateKey: string, e: PreparedEvent): IncidentDelta {
    const key = `${reason}\u0000${lineKey}\u0000${templateKey}`;
    let delta = this.incidents.get(key);
    if (!delta) {
      const found = this.s.findIncident.get(reason, lineKey, templateKey) as { id: number; status: string } | undefined;
      const id = found?.id ?? (this.s.insertIncident.get(reason, lineKey, templateKey, e.occurredAt, e.occurredAt, e.receivedAt) as { id: number }).id;
      if (!found) this.alerts.incidentOpened(id);
      delta = { id, status: found?.status ?? "open", failures: 0, contacts: 0, acknowledgedFailures: 0, firstSeen: e.occurredAt, lastSeen: e.occurredAt, reopenedAt: e.receivedAt };
      this.incidents.set(key, delta);
    }
    return delta;
  }

  addContact(kind: "hour" | "day", bucket: number, reason: string, contact: string): void {
    const key = `${kind}|${bucket}|${reason}`;
    let entry = this.sketches.get(key);
    if (!entry) {
      const stored = this.s.readSketch[kind].get(bucket, reason) as Buffer | undefined;
      entry = { kind, bucket, reason, registers: stored ? new Uint8Array(stored) : emptySketch(), dirty: false };
      this.sketches.set(key, entry);
    }
    if (addToSketch(entry.registers, contact)) entry.dirty = true;
  }

  /** Writes everything gathered; call once, inside the transaction, after the last event. */
  flush(): void {
    for (const { table, args, n } of this.rollups.values()) this.s.addToRollup[table].run(...args, n);
    for (const d of this.incidents.values()) {
      if (d.failures) this.s.countIncidentFailures.run(d.failures, d.contacts, d.firstSeen, d.lastSeen, d.acknowledgedFailures, d.reopenedAt, d.id);
      if (d.failures && d.status === "resolved") this.alerts.incidentRegressed(d.id);
    }
    for (const e of this.sketches.values()) if (e.dirty) this.s.saveSketch[e.kind].run(e.bucket, e.reason, e.registers);
    this.alerts.flush();
  }
}

function recordFailure(s: Statements, batch: WriteBatch, rawEventId: number, e: PreparedEvent, f: FailureFields): void {
  const line = f.line ?? "";
  const template = f.template ?? "";
  const incident = batch.incident(f.reason, line, template, e);
  const failure = s.insertFailure.get(
    rawEventId,
    e.dedupeKey,
    e.occurredAt,
    e.receivedAt,
    f.reason,
    f.reasonKnown ? 1 : 0,
    line,
    template,
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

  if (incident.status === "resolved" && incident.failures === 0) {
    s.insertActivity.run(incident.id, e.receivedAt, "regressed", null, failure.id);
  }
  incident.failures++;
  if (incident.status === "acknowledged") incident.acknowledgedFailures++;
  incident.firstSeen = Math.min(incident.firstSeen, e.occurredAt);
  incident.lastSeen = Math.max(incident.lastSeen, e.occurredAt);
  const contact = f.phoneE164 ?? f.cellphone;
  if (contact) incident.contacts += s.insertIncidentContact.run(incident.id, contact).changes;

  const hour = e.occurredAt - (e.occurredAt % HOUR_MS);
  const day = e.occurredAt - (e.occurredAt % DAY_MS);
  batch.countRollup("rollup_hour_reason", [hour, f.reason]);
  batch.countRollup("rollup_day_reason", [day, f.reason]);
  batch.countRollup("rollup_hour_line", [hour, f.reason, line]);
  batch.countRollup("rollup_hour_template", [hour, f.reason, template]);
  batch.countRollup("rollup_day_line", [day, f.reason, line]);
  batch.countRollup("rollup_day_template", [day, f.reason, template]);
  batch.countRollup("rollup_day", [day, f.reason, line, template]);
  if (contact) {
    for (const reason of [f.reason, ALL_REASONS_SKETCH]) {
      batch.addContact("hour", hour, reason, contact);
      batch.addContact("day", day, reason, contact);
    }
  }
}

/** A batch for one transaction on this connection. */
export function newWriteBatch(sqlite: Database.Database): WriteBatch {
  return new WriteBatch(statements(sqlite), new AlertOutbox(sqlite));
}

/**
 * Writes events idempotently (a known dedupe key stores nothing) with their failure rows;
 * counters go to `batch`, which the caller flushes once before committing. Must run inside a
 * transaction: the caller decides its extent (one request, or a group commit of many).
 */
export function writeEvents(sqlite: Database.Database, events: readonly PreparedEvent[], batch: WriteBatch): StoreResult {
  const s = statements(sqlite);
  let accepted = 0;
  let duplicates = 0;
  for (const e of events) {
    const row = s.insertRaw.get(e.dedupeKey, e.eventId, e.eventType, e.occurredAt, e.occurredAtFromReceipt ? 1 : 0, e.receivedAt, e.payload) as
      | { id: number }
      | undefined;
    if (!row) {
      duplicates++;
      continue;
    }
    accepted++;
    if (e.failure) recordFailure(s, batch, row.id, e, e.failure);
    if (e.templateStatus) {
      s.insertTemplateStatus.run(row.id, e.templateStatus.template, e.templateStatus.status, e.occurredAt, e.receivedAt);
      batch.alerts.templateStatus(e.templateStatus.template, e.templateStatus.status);
    }
  }
  return { accepted, duplicates };
}

/** Stores one request's events in their own transaction (all or nothing). */
export function storeEvents(handle: DbHandle, events: readonly PreparedEvent[]): StoreResult {
  return handle.sqlite.transaction(() => {
    const batch = newWriteBatch(handle.sqlite);
    const result = writeEvents(handle.sqlite, events, batch);
    batch.flush();
    return result;
  })();
}
