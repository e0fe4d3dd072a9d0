import type { Dialect } from "@/db/engine";
import { all, get, insertRowsStatement, perDialect, run, writeRows, type Steps, type Write } from "@/db/steps";
import type { IncidentStatus } from "./statuses";
import { escalationThreshold, exceedsThreshold, HISTORY_HOURS, HOUR_MS, hourOf } from "./escalation";
import { canTake, INCIDENT_TRANSITIONS } from "./transitions";

/**
 * What failures do to their incidents, inside the ingest transaction (lib/ingest/store.ts):
 * counters, "new since acknowledged", regression of a resolved incident, the countdown of a
 * snooze by failures, hourly counts and escalation. Everything is decided here in memory, failure
 * by failure, and written once per incident at the end of the transaction. The row read at first
 * sight stays as read until then: SQLite's transaction is IMMEDIATE, and on PostgreSQL the row is
 * read FOR UPDATE (another instance's ingest waits for this COMMIT, then reads the row anew).
 *
 * The server's own transitions and escalation each go through one method below (regress, wake,
 * startEscalating): the places where notifications of those events belong.
 */

/** An incident as the ingest transaction sees and changes it. */
export interface IncidentTally {
  id: number;
  status: IncidentStatus;
  statusChangedAt: number | null;
  failures: number;
  contacts: number;
  acknowledgedFailures: number;
  regressed: boolean;
  reopened: number;
  firstSeen: number;
  lastSeen: number;
  /** first_seen as stored before this transaction (null for an incident created by it). */
  storedFirstSeen: number | null;
  snoozeUntil: number | null;
  snoozeFailuresLeft: number | null;
  snoozeUntilEscalating: boolean;
  escalating: boolean;
  escalatingSince: number | null;
  escalatingHour: number | null;
  hourBucket: number | null;
  hourFailures: number;
  hourThreshold: number | null;
  /** Contacts of this transaction's failures, added to incident_contacts (and counted if new there) at flush. */
  failedContacts: Set<string>;
  /** Failures of this transaction per hour bucket (event time), added to incident_hours at flush. */
  hours: Map<number, number>;
}

interface StoredIncident {
  id: number;
  status: IncidentStatus;
  first_seen: number;
  snooze_until: number | null;
  snooze_failures_left: number | null;
  snooze_until_escalating: number;
  escalating: number;
  escalating_since: number | null;
  escalating_hour: number | null;
  hour_bucket: number | null;
  hour_failures: number;
  hour_threshold: number | null;
}

const SQL = perDialect((d: Dialect) => ({
  find: `SELECT id, status, first_seen, snooze_until, snooze_failures_left, snooze_until_escalating, escalating, escalating_since,
      escalating_hour, hour_bucket, hour_failures, hour_threshold
    FROM incidents WHERE reason = ? AND line_key = ? AND template_key = ?${d.forUpdate}`,
  // Another instance may create the same incident at once: the loser inserts nothing and reads the winner's.
  insert: `INSERT INTO incidents (reason, line_key, template_key, status, first_seen, last_seen, failures, contacts, updated_at)
    VALUES (?, ?, ?, 'open', ?, ?, 0, 0, ?) ON CONFLICT (reason, line_key, template_key) DO NOTHING RETURNING id`,
  // A transaction's (incident, contact) pairs in one statement; the new ones come back.
  insertContacts: insertRowsStatement(
    d,
    "incident_contacts",
    [
      ["incident_id", "integer"],
      ["contact", "text"],
    ],
    "ON CONFLICT DO NOTHING RETURNING incident_id",
  ),
  // SET expressions read the row as it was; the counters add, the state is as decided in memory.
  update: `UPDATE incidents SET
      failures = failures + ?,
      contacts = contacts + ?,
      first_seen = ${d.least("first_seen", "?")},
      last_seen = ${d.greatest("last_seen", "?")},
      new_since_ack = new_since_ack + ?,
      status = ?,
      regressed = ${d.greatest("regressed", "?")},
      reopened_count = reopened_count + ?,
      snooze_until = ?,
      snooze_failures_left = ?,
      snooze_until_escalating = ?,
      escalating = ?,
      escalating_since = ?,
      escalating_hour = ?,
      hour_bucket = ?,
      hour_failures = ?,
      hour_threshold = ?,
      updated_at = coalesce(?, updated_at)
    WHERE id = ?`,
  addHour: `INSERT INTO incident_hours (incident_id, bucket, failures) VALUES (?, ?, ?)
    ON CONFLICT (incident_id, bucket) DO UPDATE SET failures = incident_hours.failures + excluded.failures`,
  hourCount: `SELECT failures FROM incident_hours WHERE incident_id = ? AND bucket = ?`,
  earlierHours: `SELECT bucket, failures FROM incident_hours WHERE incident_id = ? AND bucket >= ? AND bucket < ?`,
  activity: `INSERT INTO incident_activity (incident_id, at, actor, action, note, failure_id) VALUES (?, ?, NULL, ?, ?, ?)`,
  audit: `INSERT INTO audit_log (at, actor_id, actor_email, action, target, detail, ip) VALUES (?, NULL, NULL, ?, ?, ?, NULL)`,
}));

const incidentKey = (reason: string, lineKey: string, templateKey: string) => `${reason}\u0000${lineKey}\u0000${templateKey}`;

/** A failure as its incident counts it. */
export interface CountedFailure {
  id: number;
  occurredAt: number;
  receivedAt: number;
  /** The contact (phone) that failed, if known. */
  contact: string | null;
}

/** Hears of the changes the server makes at ingest (alerts), inside the same transaction. */
export interface IncidentListener {
  incidentOpened(id: number): void;
  incidentRegressed(id: number): void;
  incidentEscalating(id: number): void;
}

/** The incidents one ingest transaction touches; one per transaction (or group commit). */
export class IncidentTallies {
  private readonly byKey = new Map<string, IncidentTally>();
  /** Rows read (locked on PostgreSQL) ahead by `lock`; null: none existed then. */
  private readonly stored = new Map<string, StoredIncident | null>();
  private readonly sql: ReturnType<typeof SQL>;

  constructor(
    dialect: Dialect,
    private readonly listener?: IncidentListener,
  ) {
    this.sql = SQL(dialect);
  }

  /** Reads (on PostgreSQL: locks) an existing incident ahead of its failures; creates nothing. */
  *lock(reason: string, lineKey: string, templateKey: string): Steps<void> {
    const key = incidentKey(reason, lineKey, templateKey);
    if (!this.stored.has(key)) this.stored.set(key, (yield* get<StoredIncident>(this.sql.find, [reason, lineKey, templateKey])) ?? null);
  }

  /** The incident of a failure's (reason, line, template), created (open) on first sight. */
  *of(reason: string, lineKey: string, templateKey: string, occurredAt: number, receivedAt: number): Steps<IncidentTally> {
    const key = incidentKey(reason, lineKey, templateKey);
    let tally = this.byKey.get(key);
    if (!tally) {
      const columns = [reason, lineKey, templateKey];
      yield* this.lock(reason, lineKey, templateKey);
      let found = this.stored.get(key) ?? undefined;
      const created = found ? undefined : yield* get<{ id: number }>(this.sql.insert, [...columns, occurredAt, occurredAt, receivedAt]);
      // Created by another instance since the first read (PostgreSQL): read it, locked, as stored.
      if (!found && !created) found = yield* get<StoredIncident>(this.sql.find, columns);
      const id = found?.id ?? created!.id;
      if (created) this.listener?.incidentOpened(id);
      tally = {
        id,
        status: found?.status ?? "open",
        statusChangedAt: null,
        failures: 0,
        contacts: 0,
        acknowledgedFailures: 0,
        regressed: false,
        reopened: 0,
        firstSeen: occurredAt,
        lastSeen: occurredAt,
        storedFirstSeen: found?.first_seen ?? null,
        snoozeUntil: found?.snooze_until ?? null,
        snoozeFailuresLeft: found?.snooze_failures_left ?? null,
        snoozeUntilEscalating: found?.snooze_until_escalating === 1,
        escalating: found?.escalating === 1,
        escalatingSince: found?.escalating_since ?? null,
        escalatingHour: found?.escalating_hour ?? null,
        hourBucket: found?.hour_bucket ?? null,
        hourFailures: found?.hour_failures ?? 0,
        hourThreshold: found?.hour_threshold ?? null,
        failedContacts: new Set(),
        hours: new Map(),
      };
      this.byKey.set(key, tally);
    }
    return tally;
  }

  /** Counts one stored failure of `tally`'s incident, taking the transitions it causes. */
  *count(tally: IncidentTally, failure: CountedFailure): Steps<void> {
    const at = failure.receivedAt;
    tally.failures++;
    tally.firstSeen = Math.min(tally.firstSeen, failure.occurredAt);
    tally.lastSeen = Math.max(tally.lastSeen, failure.occurredAt);
    if (failure.contact) tally.failedContacts.add(failure.contact);

    if (canTake("regress", tally.status)) yield* this.regress(tally, failure.id, at);
    else if (tally.status === "acknowledged") tally.acknowledgedFailures++;
    else if (tally.status === "snoozed" && tally.snoozeFailuresLeft !== null) {
      tally.snoozeFailuresLeft--;
      if (tally.snoozeFailuresLeft <= 0) yield* this.wake(tally, failure.id, at, "the failures it waited for arrived");
    }
    yield* this.countHour(tally, failure);
  }

  /** Hourly counts by event time; escalation looks at the hour the failure was received in. */
  private *countHour(tally: IncidentTally, failure: CountedFailure): Steps<void> {
    const bucket = hourOf(failure.occurredAt);
    const current = hourOf(failure.receivedAt);
    if (bucket === current && tally.hourBucket !== current) yield* this.startHour(tally, current);
    tally.hours.set(bucket, (tally.hours.get(bucket) ?? 0) + 1);
    if (bucket !== current) return;
    tally.hourFailures++;
    // Ignored incidents never change by themselves and never alert: they do not escalate.
    if (tally.status === "ignored" || !exceedsThreshold(tally.hourFailures, tally.hourThreshold)) return;
    tally.escalatingHour = current;
    if (!tally.escalating) yield* this.startEscalating(tally, failure.id, failure.receivedAt);
  }

  /** The first failure of an hour: that hour's count so far, and its threshold from the 7 days before. */
  private *startHour(tally: IncidentTally, hour: number): Steps<void> {
    const pending = (bucket: number) => tally.hours.get(bucket) ?? 0;
    const historyStart = hour - HISTORY_HOURS * HOUR_MS;
    const earlier = new Array<number>(HISTORY_HOURS).fill(0);
    for (const row of yield* all<{ bucket: number; failures: number }>(this.sql.earlierHours, [tally.id, historyStart, hour])) {
      earlier[(row.bucket - historyStart) / HOUR_MS] = row.failures;
    }
    for (const [bucket, n] of tally.hours) if (bucket >= historyStart && bucket < hour) earlier[(bucket - historyStart) / HOUR_MS]! += n;
    const firstSeen = Math.min(tally.storedFirstSeen ?? Infinity, tally.firstSeen);
    tally.hourBucket = hour;
    const stored = yield* get<{ failures: number }>(this.sql.hourCount, [tally.id, hour]);
    tally.hourFailures = (stored?.failures ?? 0) + pending(hour);
    tally.hourThreshold = escalationThreshold(earlier, firstSeen <= historyStart);
  }

  /** resolved → open, marked regressed, citing the failure. */
  private *regress(tally: IncidentTally, failureId: number, at: number): Steps<void> {
    yield* this.transition(tally, "regress", failureId, at, null);
    tally.regressed = true;
    tally.reopened++;
    this.listener?.incidentRegressed(tally.id);
  }

  /** snoozed → open: its failures arrived, or it started escalating. */
  private *wake(tally: IncidentTally, failureId: number, at: number, why: string): Steps<void> {
    yield* this.transition(tally, "wake", failureId, at, why);
    tally.snoozeUntil = null;
    tally.snoozeFailuresLeft = null;
    tally.snoozeUntilEscalating = false;
  }

  /** The incident starts escalating (the one place escalation is set); a snooze until escalation ends. */
  private *startEscalating(tally: IncidentTally, failureId: number, at: number): Steps<void> {
    tally.escalating = true;
    tally.escalatingSince = at;
    const usual = Math.floor(tally.hourThreshold ?? 0);
    yield* run(this.sql.activity, [tally.id, at, "escalating", `${tally.hourFailures} failures this hour (escalates above ${usual}, and from 20)`, failureId]);
    this.listener?.incidentEscalating(tally.id);
    if (tally.status === "snoozed" && tally.snoozeUntilEscalating) yield* this.wake(tally, failureId, at, "it started escalating");
  }

  private *transition(tally: IncidentTally, name: "regress" | "wake", failureId: number, at: number, note: string | null): Steps<void> {
    const spec = INCIDENT_TRANSITIONS[name];
    tally.status = spec.to;
    tally.statusChangedAt = at;
    yield* run(this.sql.activity, [tally.id, at, spec.activity, note, failureId]);
    yield* run(this.sql.audit, [at, spec.audit, `incident #${tally.id}`, note]);
  }

  /** Adds the failures' contacts to their incidents, counting those new there; once, after the last failure. */
  *countNewContacts(): Steps<void> {
    const pairs = [...this.byKey.values()].flatMap((t) => [...t.failedContacts].map((contact) => [t.id, contact]));
    const byId = new Map([...this.byKey.values()].map((t) => [t.id, t]));
    for (const { incident_id } of yield* writeRows<{ incident_id: number }>(this.sql.insertContacts, pairs)) byId.get(incident_id)!.contacts++;
  }

  /** The writes of every incident's changes and hourly counts; run once, inside the transaction, after `countNewContacts`. */
  writes(): Write[] {
    const writes: Write[] = [];
    for (const t of this.byKey.values()) {
      if (!t.failures) continue;
      writes.push([this.sql.update, [
        t.failures,
        t.contacts,
        t.firstSeen,
        t.lastSeen,
        t.acknowledgedFailures,
        t.status,
        t.regressed ? 1 : 0,
        t.reopened,
        t.snoozeUntil,
        t.snoozeFailuresLeft,
        t.snoozeUntilEscalating ? 1 : 0,
        t.escalating ? 1 : 0,
        t.escalatingSince,
        t.escalatingHour,
        t.hourBucket,
        t.hourFailures,
        t.hourThreshold,
        t.statusChangedAt,
        t.id,
      ]]);
      for (const [bucket, n] of t.hours) writes.push([this.sql.addHour, [t.id, bucket, n]]);
    }
    return writes;
  }
}
