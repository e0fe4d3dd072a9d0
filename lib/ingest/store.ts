import type Database from "better-sqlite3";
import { perConnection } from "@/db/statements";
import type { DbHandle } from "@/db/client";
import { ALL_REASONS_SKETCH } from "@/db/schema";
import { AlertOutbox } from "@/lib/alerts/outbox";
import { addToSketch, decodeSketch, emptySketch, encodeSketch } from "@/lib/hll";
import type { ErrorDetail } from "@/lib/http/errors";
import { IncidentTallies } from "@/lib/incidents/at-ingest";
import { ContactStateTallies } from "./contact-state";
import { PhoneGramTallies } from "./phone-gram-tallies";
import type { FailureFields, NormalizedEvent } from "./normalize";
import { encodeDedupeKey, encodeSessionKeys } from "./compact-values";
import { encodePayload } from "./payload-codec";

/** An event ready to be written: normalised fields plus what identifies and preserves it. */
export interface PreparedEvent extends NormalizedEvent {
  dedupeKey: string;
  receivedAt: number;
  payload: string;
  /** Why it could not be normalised (it is then quarantined); null for a normalised event. */
  problems: ErrorDetail[] | null;
}

export interface StoreResult {
  accepted: number;
  duplicates: number;
  quarantined: number;
}

const QUARTER_MS = 900_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The rollup tables and the dimensions (beside bucket and reason) each is keyed by. */
const ROLLUPS = {
  rollup_quarter_reason: [],
  rollup_hour_reason: [],
  rollup_day_reason: [],
  rollup_hour_line: ["line"],
  rollup_hour_template: ["template"],
  rollup_day_line: ["line"],
  rollup_day_template: ["template"],
  rollup_hour: ["line", "template"],
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
      `INSERT INTO raw_events (dedupe_key, event_type, occurred_at, occurred_at_from_receipt, received_at, payload, payload_codec, sent_occurred_at, problems)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING RETURNING id`,
    ),
    insertFailure: sqlite.prepare(
      `INSERT INTO failures (raw_event_id, occurred_at, reason, reason_known, line, template,
         country_code, cellphone, phone_e164, poll_id, deployment_id, batch_id, user_session_keys, incident_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ),
    // Phone search: a pair new to contact_phones also enters its trigram index (rare once contacts repeat).
    insertPhone: sqlite.prepare(`INSERT INTO contact_phones (phone_e164, cellphone) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING id`).pluck(),
    indexPhone: sqlite.prepare(`INSERT INTO contact_phones_fts (rowid, phone_e164, cellphone) VALUES (?, ?, ?)`),
    // Re-deployment follow-up: one indexed lookup of the contact's latest re-deployment before this failure.
    linkRedeployFollowUp: sqlite.prepare(
      `INSERT INTO redeploy_follow_ups (failure_id, plan_id, contact, reason, occurred_at)
       SELECT ?, plan_id, contact, ?, ? FROM redeploy_contacts WHERE contact = ? AND sent_at IS NOT NULL AND sent_at <= ? ORDER BY sent_at DESC LIMIT 1`,
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
      `INSERT INTO template_status_events (raw_event_id, template, status, occurred_at, received_at, affected_conversation_ids) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    insertClosedSession: sqlite.prepare(
      `INSERT INTO closed_sessions (raw_event_id, external_id, closed_at, received_at, line, template, country_code, cellphone, phone_e164, message_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;
const statements = perConnection(prepareStatements);

/**
 * What one transaction adds to counters, gathered in memory and written once at its end: each
 * rollup row, incident and contact sketch is updated once per commit, not once per failure.
 * One batch serves a whole group commit.
 */
export class WriteBatch {
  private readonly rollups = new Map<string, { table: RollupTable; args: Array<string | number>; n: number }>();
  private readonly phones = new Set<string>();
  private readonly sketches = new Map<string, { kind: "hour" | "day"; bucket: number; reason: string; registers: Uint8Array; dirty: boolean }>();

  constructor(
    private readonly s: Statements,
    /** Incident counters and the server's own transitions (lib/incidents/at-ingest.ts). */
    readonly incidents: IncidentTallies,
    /** Alerts: notifications written in this same transaction (lib/alerts/outbox.ts). */
    readonly alerts: AlertOutbox,
    /** Phone search by one or two digits (lib/ingest/phone-gram-tallies.ts). */
    readonly phoneGrams: PhoneGramTallies,
    /** Per-contact latest state and its hourly counts (lib/ingest/contact-state.ts). */
    readonly contacts: ContactStateTallies,
  ) {}

  countRollup(table: RollupTable, args: Array<string | number>): void {
    const key = `${table}|${args.join("|")}`;
    const entry = this.rollups.get(key);
    if (entry) entry.n++;
    else this.rollups.set(key, { table, args, n: 1 });
  }

  /** Records the contact's (E.164, cellphone) pair for phone search, once per batch. */
  addPhone(phoneE164: string | null, cellphone: string | null): void {
    if (phoneE164 === null && cellphone === null) return;
    const pair = [phoneE164 ?? "", cellphone ?? ""] as const;
    const key = `${pair[0]}|${pair[1]}`;
    if (this.phones.has(key)) return;
    this.phones.add(key);
    const id = this.s.insertPhone.get(...pair) as number | undefined;
    if (id !== undefined) this.s.indexPhone.run(id, ...pair);
  }

  addContact(kind: "hour" | "day", bucket: number, reason: string, contact: string): void {
    const key = `${kind}|${bucket}|${reason}`;
    let entry = this.sketches.get(key);
    if (!entry) {
      const stored = this.s.readSketch[kind].get(bucket, reason) as Buffer | undefined;
      entry = { kind, bucket, reason, registers: stored ? decodeSketch(stored) : emptySketch(), dirty: false };
      this.sketches.set(key, entry);
    }
    if (addToSketch(entry.registers, contact)) entry.dirty = true;
  }

  /** Writes everything gathered; call once, inside the transaction, after the last event. */
  flush(): void {
    for (const { table, args, n } of this.rollups.values()) this.s.addToRollup[table].run(...args, n);
    this.incidents.flush();
    this.phoneGrams.flush();
    this.contacts.flush();
    for (const e of this.sketches.values()) if (e.dirty) this.s.saveSketch[e.kind].run(e.bucket, e.reason, encodeSketch(e.registers));
    this.alerts.flush();
  }
}

function recordFailure(s: Statements, batch: WriteBatch, rawEventId: number, e: PreparedEvent, f: FailureFields): void {
  const line = f.line ?? "";
  const template = f.template ?? "";
  const incident = batch.incidents.of(f.reason, line, template, e.occurredAt, e.receivedAt);
  const failure = s.insertFailure.get(
    rawEventId,
    e.occurredAt,
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
    f.userSessionKeys === null ? null : encodeSessionKeys(f.userSessionKeys),
    incident.id,
  ) as { id: number };
  const contact = f.phoneE164 ?? f.cellphone;
  batch.incidents.count(incident, { id: failure.id, occurredAt: e.occurredAt, receivedAt: e.receivedAt, contact });
  if (contact) s.linkRedeployFollowUp.run(failure.id, f.reason, e.occurredAt, contact, e.occurredAt);

  batch.addPhone(f.phoneE164, f.cellphone);
  batch.phoneGrams.count(e.occurredAt, f.reason, line, template, f.phoneE164, f.cellphone);

  const hour = e.occurredAt - (e.occurredAt % HOUR_MS);
  const day = e.occurredAt - (e.occurredAt % DAY_MS);
  batch.countRollup("rollup_quarter_reason", [e.occurredAt - (e.occurredAt % QUARTER_MS), f.reason]);
  batch.countRollup("rollup_hour_reason", [hour, f.reason]);
  batch.countRollup("rollup_day_reason", [day, f.reason]);
  batch.countRollup("rollup_hour_line", [hour, f.reason, line]);
  batch.countRollup("rollup_hour_template", [hour, f.reason, template]);
  batch.countRollup("rollup_day_line", [day, f.reason, line]);
  batch.countRollup("rollup_day_template", [day, f.reason, template]);
  batch.countRollup("rollup_hour", [hour, f.reason, line, template]);
  batch.countRollup("rollup_day", [day, f.reason, line, template]);
  if (contact) {
    batch.contacts.count(contact, e.occurredAt, f.reason, line, template);
    for (const reason of [f.reason, ALL_REASONS_SKETCH]) {
      batch.addContact("hour", hour, reason, contact);
      batch.addContact("day", day, reason, contact);
    }
  }
}

/** A batch for one transaction on this connection. */
export function newWriteBatch(sqlite: Database.Database): WriteBatch {
  const alerts = new AlertOutbox(sqlite);
  return new WriteBatch(statements(sqlite), new IncidentTallies(sqlite, alerts), alerts, new PhoneGramTallies(sqlite), new ContactStateTallies(sqlite));
}

/**
 * The type kept on the raw event: "" when the event became a failure, a template status or a
 * session close (that row says what it was; deflate cannot share 18 bytes a row), else as sent
 * (the quarantine list shows it; an event of another type is kept raw).
 */
export function storedEventType(e: PreparedEvent): string {
  return !e.problems && (e.failure || e.templateStatus || e.sessionClose) ? "" : e.eventType;
}

/**
 * Writes what is derived from a normalised event stored as raw event `rawEventId`: its failure
 * (with incident, rollups, sketches and contact state, counted into `batch`), template status or closed session.
 * Must run inside the transaction that stored (or un-quarantined) the raw event.
 */
export function writeDerivedRows(sqlite: Database.Database, rawEventId: number, e: PreparedEvent, batch: WriteBatch): void {
  const s = statements(sqlite);
  if (e.failure) recordFailure(s, batch, rawEventId, e, e.failure);
  if (e.templateStatus) {
    const t = e.templateStatus;
    s.insertTemplateStatus.run(rawEventId, t.template, t.status, e.occurredAt, e.receivedAt, t.affectedConversationIds);
    batch.alerts.templateStatus(t.template, t.status);
  }
  if (e.sessionClose) {
    const c = e.sessionClose;
    s.insertClosedSession.run(rawEventId, c.externalId, c.closedAt, e.receivedAt, c.line ?? "", c.template ?? "", c.countryCode, c.cellphone, c.phoneE164, c.messageCount);
  }
}

/**
 * Writes events idempotently (a known dedupe key stores nothing, quarantined or not) with what is
 * derived from them; a quarantined event is stored with its problems and nothing derived.
 * Counters go to `batch`, which the caller flushes once before committing. Must run inside a
 * transaction: the caller decides its extent (one request, or a group commit of many).
 */
export function writeEvents(sqlite: Database.Database, events: readonly PreparedEvent[], batch: WriteBatch): StoreResult {
  const s = statements(sqlite);
  const result: StoreResult = { accepted: 0, duplicates: 0, quarantined: 0 };
  for (const e of events) {
    const problems = e.problems ? JSON.stringify(e.problems) : null;
    // The event id, when it is the dedupe key, is cut from the stored payload (payload-codec.ts).
    const payload = encodePayload(e.payload, e.eventId);
    const row = s.insertRaw.get(
      encodeDedupeKey(e.dedupeKey),
      storedEventType(e),
      e.occurredAt,
      e.occurredAtFromReceipt ? 1 : 0,
      e.receivedAt,
      payload.stored,
      payload.codec,
      e.sentOccurredAt,
      problems,
    ) as { id: number } | undefined;
    if (!row) result.duplicates++;
    else if (problems) result.quarantined++;
    else {
      result.accepted++;
      writeDerivedRows(sqlite, row.id, e, batch);
    }
  }
  return result;
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
