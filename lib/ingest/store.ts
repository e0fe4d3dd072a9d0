import type { DbHandle } from "@/db/client";
import type { Dialect, RowColumnType } from "@/db/engine";
import { ALL_REASONS_SKETCH } from "@/db/schema";
import { sqliteDialect } from "@/db/sqlite/engine";
import { get, inKeyOrder, insertRowsStatement, perDialect, rowsStatement, run, runSteps, runTogether, writeRows, type Steps, type Value, type Write } from "@/db/steps";
import { AlertOutbox } from "@/lib/alerts/outbox";
import { addToSketch, decodeSketch, emptySketch, encodeSketch, mergeSketch } from "@/lib/hll";
import type { ErrorDetail } from "@/lib/http/errors";
import { IncidentTallies, type IncidentTally } from "@/lib/incidents/at-ingest";
import { ContactStateChanges } from "./contact-state";
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
/** The cube's rows also keep their key's incident (db/schema.ts), given after the dimensions. */
const CUBES: ReadonlySet<RollupTable> = new Set(["rollup_hour", "rollup_day"]);

type SketchKind = "hour" | "day";
const SKETCH_TABLES = { hour: "contact_sketch_hour", day: "contact_sketch_day" } as const satisfies Record<SketchKind, string>;
const bySketch = (sql: (table: string) => string) => ({ hour: sql(SKETCH_TABLES.hour), day: sql(SKETCH_TABLES.day) });

type Columns = ReadonlyArray<readonly [string, RowColumnType]>;
const RAW_COLUMNS: Columns = [
  ["dedupe_key", "blob"],
  ["event_type", "text"],
  ["occurred_at", "integer"],
  ["occurred_at_from_receipt", "integer"],
  ["received_at", "integer"],
  ["payload", "blob"],
  ["payload_codec", "integer"],
  ["sent_occurred_at", "integer"],
  ["problems", "text"],
];
const FAILURE_COLUMNS: Columns = [
  ["raw_event_id", "integer"],
  ["occurred_at", "integer"],
  ["reason", "text"],
  ["reason_known", "integer"],
  ["line", "text"],
  ["template", "text"],
  ["country_code", "text"],
  ["cellphone", "text"],
  ["phone_e164", "text"],
  ["poll_id", "text"],
  ["deployment_id", "text"],
  ["batch_id", "text"],
  ["user_session_keys", "blob"],
  ["incident_id", "integer"],
];
const PHONE_COLUMNS: Columns = [
  ["phone_e164", "text"],
  ["cellphone", "text"],
];
const FOLLOW_UP_COLUMNS: Columns = [
  ["failure_id", "integer"],
  ["reason", "text"],
  ["occurred_at", "integer"],
  ["contact", "text"],
];

// The hot path's statements: fixed texts, prepared once per connection (db/steps.ts).
const SQL = perDialect((d: Dialect) => ({
  addToRollup: Object.fromEntries(
    (Object.entries(ROLLUPS) as Array<[RollupTable, readonly string[]]>).map(([table, dims]) => {
      const columns = [...dims, ...(CUBES.has(table) ? ["incident_id"] : [])];
      // A key's incident is the one ingest just counted its failure into: a purged incident's
      // successor replaces its id on a row both have failures in.
      const incident = CUBES.has(table) ? ", incident_id = excluded.incident_id" : "";
      return [
        table,
        `INSERT INTO ${table} (bucket, reason${columns.map((c) => `, ${c}`).join("")}, failures)
         VALUES (?, ?${columns.map(() => ", ?").join("")}, ?)
         ON CONFLICT (bucket, reason${dims.map((dim) => `, ${dim}`).join("")}) DO UPDATE SET failures = ${table}.failures + excluded.failures${incident}`,
      ];
    }),
  ) as Record<RollupTable, string>,
  // A group commit's rows of a table in one statement (one round trip on PostgreSQL, db/steps.ts).
  insertRaw: insertRowsStatement(d, "raw_events", RAW_COLUMNS, "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"),
  insertFailure: insertRowsStatement(d, "failures", FAILURE_COLUMNS, "RETURNING id, raw_event_id"),
  insertPhone: insertRowsStatement(d, "contact_phones", PHONE_COLUMNS, "ON CONFLICT DO NOTHING RETURNING id, phone_e164, cellphone"),
  // Phone search: SQLite's FTS5 trigram table (a pair new to contact_phones, rare once contacts
  // repeat); PostgreSQL's trigram indexes are on contact_phones itself.
  indexPhone: d.name === "sqlite" ? `INSERT INTO contact_phones_fts (rowid, phone_e164, cellphone) VALUES (?, ?, ?)` : null,
  // Re-deployment follow-up: one indexed lookup per failure of its contact's latest re-deployment before it.
  linkRedeployFollowUp: rowsStatement(d, FOLLOW_UP_COLUMNS, (given) => `INSERT INTO redeploy_follow_ups (failure_id, plan_id, contact, reason, occurred_at)
    SELECT failure_id, plan_id, contact, reason, occurred_at FROM (
      SELECT given.*, (SELECT plan_id FROM redeploy_contacts WHERE contact = given.contact AND sent_at IS NOT NULL AND sent_at <= given.occurred_at
        ORDER BY sent_at DESC LIMIT 1) AS plan_id
      FROM ${given}) AS linked
    WHERE plan_id IS NOT NULL`),
  // A sketch is read, merged and written back: on PostgreSQL other instances wait for this COMMIT.
  readSketch: bySketch((table) => `SELECT registers FROM ${table} WHERE bucket = ? AND reason = ?${d.forUpdate}`),
  insertSketch: bySketch((table) => `INSERT INTO ${table} (bucket, reason, registers) VALUES (?, ?, ?) ON CONFLICT (bucket, reason) DO NOTHING RETURNING bucket`),
  updateSketch: bySketch((table) => `UPDATE ${table} SET registers = ? WHERE bucket = ? AND reason = ?`),
  insertTemplateStatus: `INSERT INTO template_status_events (raw_event_id, template, status, occurred_at, received_at, affected_conversation_ids) VALUES (?, ?, ?, ?, ?, ?)`,
  insertClosedSession: `INSERT INTO closed_sessions (raw_event_id, external_id, closed_at, received_at, line, template, country_code, cellphone, phone_e164, message_count)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
}));

/** A sketch's stored form as a parameter (encodeSketch may return the registers' own array). */
const sketchParam = (sketch: Uint8Array) => Buffer.from(sketch.buffer, sketch.byteOffset, sketch.byteLength);

/**
 * What one transaction adds to counters, gathered in memory and written once at its end: each
 * rollup row, incident and contact sketch is updated once per commit, not once per failure.
 * One batch serves a whole group commit.
 */
export class WriteBatch {
  readonly sql: ReturnType<typeof SQL>;
  /** Incident counters and the server's own transitions (lib/incidents/at-ingest.ts). */
  readonly incidents: IncidentTallies;
  /** Alerts: notifications written in this same transaction (lib/alerts/outbox.ts). */
  readonly alerts: AlertOutbox;
  /** Phone search by one or two digits (lib/ingest/phone-gram-tallies.ts). */
  readonly phoneGrams = new PhoneGramTallies();
  /** Per-contact latest state and its quarter-hour counts (lib/ingest/contact-state.ts). */
  readonly contacts: ContactStateChanges;
  private readonly rollups = new Map<string, { table: RollupTable; args: Value[]; n: number }>();
  private readonly phones = new Map<string, readonly [string, string]>();
  /** This batch's contacts per sketch row, merged into the stored sketch at flush. */
  private readonly sketches = new Map<string, { kind: SketchKind; bucket: number; reason: string; added: Uint8Array }>();

  constructor(private readonly dialect: Dialect) {
    this.sql = SQL(dialect);
    this.alerts = new AlertOutbox(dialect);
    this.incidents = new IncidentTallies(dialect, this.alerts);
    this.contacts = new ContactStateChanges(dialect);
  }

  /**
   * Takes ahead, in one order, the rows and locks the events' failures will need: their existing
   * incidents, then their contacts. On PostgreSQL another instance ingesting the same incidents or
   * contacts then waits before it holds any of them, instead of each holding one the other waits
   * for (a deadlock, found only after deadlock_timeout and paid by running a transaction again).
   */
  *lockAhead(requests: ReadonlyArray<readonly PreparedEvent[]>): Steps<void> {
    const incidents = new Map<string, readonly [string, string, string]>();
    const contacts = new Map<string, string>();
    for (const events of requests) {
      for (const { failure: f, problems } of events) {
        if (!f || problems) continue;
        const key = [f.reason, f.line ?? "", f.template ?? ""] as const;
        incidents.set(key.join("\u0000"), key);
        const contact = f.phoneE164 ?? f.cellphone;
        if (contact) contacts.set(contact, contact);
      }
    }
    for (const key of inKeyOrder(incidents)) yield* this.incidents.lock(...key);
    yield* this.contacts.readAhead(inKeyOrder(contacts));
  }

  countRollup(table: RollupTable, args: Value[]): void {
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
    if (!this.phones.has(key)) this.phones.set(key, pair);
  }

  addContact(kind: SketchKind, bucket: number, reason: string, contact: string): void {
    const key = `${kind}|${bucket}|${reason}`;
    let entry = this.sketches.get(key);
    if (!entry) this.sketches.set(key, (entry = { kind, bucket, reason, added: emptySketch() }));
    addToSketch(entry.added, contact);
  }

  /**
   * Writes everything gathered; call once, inside the transaction, after the last event. What
   * needs no answer goes last, as one statement on PostgreSQL (`runTogether`): every instance
   * takes its row locks in this same order.
   */
  *flush(): Steps<void> {
    const sql = this.sql;
    yield* this.incidents.countNewContacts();
    const added = yield* writeRows<{ id: number; phone_e164: string; cellphone: string }>(sql.insertPhone, inKeyOrder(this.phones));
    if (sql.indexPhone) for (const phone of added) yield* run(sql.indexPhone, [phone.id, phone.phone_e164, phone.cellphone]);
    const sketches: Write[] = [];
    for (const { kind, bucket, reason, added } of inKeyOrder(this.sketches)) sketches.push(...(yield* this.mergeSketch(kind, bucket, reason, added)));
    const rollups = inKeyOrder(this.rollups).map(({ table, args, n }): Write => [sql.addToRollup[table], [...args, n]]);
    yield* runTogether(this.dialect, [...rollups, ...this.incidents.writes(), ...this.phoneGrams.writes(), ...this.contacts.writes(), ...sketches]);
    yield* this.alerts.flush();
  }

  /** Merges `added` into the stored sketch (created when missing); the update, when it changed. */
  private *mergeSketch(kind: SketchKind, bucket: number, reason: string, added: Uint8Array): Steps<Write[]> {
    const sql = this.sql;
    let stored = yield* get<{ registers: Buffer }>(sql.readSketch[kind], [bucket, reason]);
    if (!stored) {
      if (yield* get(sql.insertSketch[kind], [bucket, reason, sketchParam(encodeSketch(added))])) return [];
      // Another instance created it since (PostgreSQL): merge into theirs.
      stored = (yield* get<{ registers: Buffer }>(sql.readSketch[kind], [bucket, reason]))!;
    }
    const registers = decodeSketch(stored.registers);
    return mergeSketch(registers, added) ? [[sql.updateSketch[kind], [sketchParam(encodeSketch(registers)), bucket, reason]]] : [];
  }
}

/** An event whose raw row is stored (new, or un-quarantined), with that row's id. */
export interface StoredEvent {
  rawEventId: number;
  event: PreparedEvent;
}

/** Failures stored as raw events: their rows in one statement, then what each counts, in order. */
function* recordFailures(batch: WriteBatch, stored: ReadonlyArray<StoredEvent & { failure: FailureFields }>): Steps<void> {
  const incidents: IncidentTally[] = [];
  for (const { event: e, failure: f } of stored) incidents.push(yield* batch.incidents.of(f.reason, f.line ?? "", f.template ?? "", e.occurredAt, e.receivedAt));
  const rows = stored.map(({ rawEventId, event: e, failure: f }, i): Value[] => [
    rawEventId,
    e.occurredAt,
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
    f.userSessionKeys === null ? null : encodeSessionKeys(f.userSessionKeys),
    incidents[i]!.id,
  ]);
  // Ids are given in the rows' order: a later failure's id is above an earlier one's.
  const failureIds = new Map((yield* writeRows<{ id: number; raw_event_id: number }>(batch.sql.insertFailure, rows)).map((r) => [r.raw_event_id, r.id]));
  const followUps: Value[][] = [];
  for (const [i, { rawEventId, event: e, failure: f }] of stored.entries()) {
    const failureId = failureIds.get(rawEventId)!;
    const contact = f.phoneE164 ?? f.cellphone;
    yield* batch.incidents.count(incidents[i]!, { id: failureId, occurredAt: e.occurredAt, receivedAt: e.receivedAt, contact });
    if (contact) followUps.push([failureId, f.reason, e.occurredAt, contact]);
    yield* countFailure(batch, e, f, contact, incidents[i]!.id);
  }
  yield* writeRows(batch.sql.linkRedeployFollowUp, followUps);
}

/** What one failure adds to the batch's counters and to its contact's state. */
function* countFailure(batch: WriteBatch, e: PreparedEvent, f: FailureFields, contact: string | null, incidentId: number): Steps<void> {
  const line = f.line ?? "";
  const template = f.template ?? "";
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
  batch.countRollup("rollup_hour", [hour, f.reason, line, template, incidentId]);
  batch.countRollup("rollup_day", [day, f.reason, line, template, incidentId]);
  if (contact) {
    yield* batch.contacts.count(contact, e.occurredAt, f.reason, line, template);
    for (const reason of [f.reason, ALL_REASONS_SKETCH]) {
      batch.addContact("hour", hour, reason, contact);
      batch.addContact("day", day, reason, contact);
    }
  }
}

/**
 * The type kept on the raw event: "" when the event became a failure (its row says what it was;
 * deflate cannot share 18 bytes a row), else as sent (the quarantine list shows it; an event of
 * another type is kept raw). So "" with no problems means "a failure's raw event": retention finds
 * those through the failures' time index and the rest through raw_events_not_failure_occurred_at_idx.
 */
export function storedEventType(e: PreparedEvent): string {
  return !e.problems && e.failure ? "" : e.eventType;
}

/**
 * Writes what is derived from normalised events stored as raw events (in `stored`'s order): their
 * failures (with incidents, rollups, sketches and contact state, counted into `batch`), template
 * statuses and closed sessions. Must run inside the transaction that stored (or un-quarantined)
 * the raw events.
 */
export function* writeDerivedRows(batch: WriteBatch, stored: readonly StoredEvent[]): Steps<void> {
  yield* recordFailures(
    batch,
    stored.flatMap((s) => (s.event.failure ? [{ ...s, failure: s.event.failure }] : [])),
  );
  for (const { rawEventId, event: e } of stored) {
    if (e.templateStatus) {
      const t = e.templateStatus;
      yield* run(batch.sql.insertTemplateStatus, [rawEventId, t.template, t.status, e.occurredAt, e.receivedAt, t.affectedConversationIds]);
      batch.alerts.templateStatus(t.template, t.status);
    }
    if (e.sessionClose) {
      const c = e.sessionClose;
      yield* run(batch.sql.insertClosedSession, [rawEventId, c.externalId, c.closedAt, e.receivedAt, c.line ?? "", c.template ?? "", c.countryCode, c.cellphone, c.phoneE164, c.messageCount]);
    }
  }
}

/**
 * Stores the raw events idempotently, in one statement: a known dedupe key (stored before, or
 * earlier in `events`) stores nothing, quarantined or not. The new rows' ids by position in
 * `events`, undefined for a duplicate.
 */
function* insertRawEvents(batch: WriteBatch, events: readonly PreparedEvent[]): Steps<Array<number | undefined>> {
  const firstByKey = new Map<string, number>();
  const rows: Value[][] = [];
  for (const [i, e] of events.entries()) {
    const dedupeKey = encodeDedupeKey(e.dedupeKey);
    const key = dedupeKey.toString("latin1");
    if (firstByKey.has(key)) continue;
    firstByKey.set(key, i);
    // The event id, when it is the dedupe key, is cut from the stored payload (payload-codec.ts).
    const payload = encodePayload(e.payload, e.eventId);
    const problems = e.problems ? JSON.stringify(e.problems) : null;
    rows.push([dedupeKey, storedEventType(e), e.occurredAt, e.occurredAtFromReceipt ? 1 : 0, e.receivedAt, payload.stored, payload.codec, e.sentOccurredAt, problems]);
  }
  const ids = new Array<number | undefined>(events.length);
  for (const row of yield* writeRows<{ id: number; dedupe_key: Buffer }>(batch.sql.insertRaw, rows)) ids[firstByKey.get(row.dedupe_key.toString("latin1"))!] = row.id;
  return ids;
}

/**
 * Several requests' events in one transaction (a group commit), sharing one batch of counters,
 * flushed once: each table's rows in one statement. Events are written idempotently, a
 * quarantined one with its problems and nothing derived. Each request's own result.
 */
export function* writeRequests(dialect: Dialect, requests: ReadonlyArray<readonly PreparedEvent[]>): Steps<StoreResult[]> {
  const batch = new WriteBatch(dialect);
  yield* batch.lockAhead(requests);
  const ids = yield* insertRawEvents(batch, requests.flat());
  const accepted: StoredEvent[] = [];
  let next = 0;
  const results = requests.map((events) => {
    const result: StoreResult = { accepted: 0, duplicates: 0, quarantined: 0 };
    for (const event of events) {
      const rawEventId = ids[next++];
      if (rawEventId === undefined) result.duplicates++;
      else if (event.problems) result.quarantined++;
      else {
        result.accepted++;
        accepted.push({ rawEventId, event });
      }
    }
    return result;
  });
  yield* writeDerivedRows(batch, accepted);
  yield* batch.flush();
  return results;
}

/** Stores one request's events in their own transaction (all or nothing). */
export function storeEvents(handle: DbHandle, events: readonly PreparedEvent[]): StoreResult {
  return handle.sqlite.transaction(() => runSteps(handle.sqlite, writeRequests(sqliteDialect, [events]))[0]!)();
}
