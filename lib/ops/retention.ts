import { getEngine } from "@/db/client";
import type { Dialect } from "@/db/engine";
import { perDialect, runStepsOn } from "@/db/steps";
import { ContactStateChanges } from "@/lib/ingest/contact-state";
import { PHONE_GRAM_ROLLUPS } from "@/lib/ingest/phone-gram-tallies";
import { logger } from "@/lib/log";
import { QUARTER_HOUR_MS } from "@/lib/time/zoned";
import { runAsLeader, type Leadership } from "./leader";
import { yieldToIngest } from "./periodic";

const DAY_MS = 86_400_000;
/** Rows per purge transaction: each one holds the write lock for milliseconds, not seconds. */
export const PURGE_BATCH_ROWS = 1000;

/**
 * The first instant kept when keeping `days` whole UTC days before today. Aligned to a UTC day
 * start, so every hourly and daily rollup or sketch bucket is either entirely kept or entirely
 * purged, and the dashboard's counts equal the stored rows for any window it can still show.
 */
export function retentionCutoff(now: number, days: number): number {
  return now - (now % DAY_MS) - days * DAY_MS;
}

export interface PurgeResult {
  rawEvents: number;
  failures: number;
  templateStatus: number;
  closedSessions: number;
  buckets: number;
  incidents: number;
}

const BUCKET_TABLES = [
  "rollup_quarter_reason",
  "rollup_hour_reason",
  "rollup_day_reason",
  "rollup_hour_line",
  "rollup_hour_template",
  "rollup_day_line",
  "rollup_day_template",
  "rollup_hour",
  "rollup_day",
  ...PHONE_GRAM_ROLLUPS,
  "contact_sketch_hour",
  "contact_sketch_day",
] as const;

/** The purge's statements per dialect (exported for the test of their query plans). */
export const retentionSql = perDialect((d: Dialect) => {
  // Ids travel as one JSON array parameter, so each statement has one text whatever the batch.
  const ids = d.jsonArrayValues("integer");
  return {
    // A failure's raw event by the failure's time (failures_occurred_at_idx: the same instant);
    // any other raw event by raw_events_not_failure_occurred_at_idx, whose condition this repeats
    // word for word so SQLite's planner can use it.
    oldFailureEvents: `SELECT raw_event_id AS id FROM failures WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?`,
    oldOtherEvents: `SELECT id FROM raw_events WHERE (event_type <> '' OR problems IS NOT NULL) AND occurred_at < ? ORDER BY occurred_at LIMIT ?`,
    contactsOf: `SELECT DISTINCT coalesce(phone_e164, cellphone) AS contact FROM failures
      WHERE raw_event_id IN ${ids} AND coalesce(phone_e164, cellphone) IS NOT NULL`,
    detachActivity: `UPDATE incident_activity SET failure_id = NULL WHERE failure_id IN (SELECT id FROM failures WHERE raw_event_id IN ${ids})`,
    failures: `DELETE FROM failures WHERE raw_event_id IN ${ids}`,
    templateStatus: `DELETE FROM template_status_events WHERE raw_event_id IN ${ids}`,
    closedSessions: `DELETE FROM closed_sessions WHERE raw_event_id IN ${ids}`,
    rawEvents: `DELETE FROM raw_events WHERE id IN ${ids}`,
    // The oldest day's buckets per statement (the tables have no rowid to batch by; a day holds
    // that day's reason × line × template combinations, a bounded handful of rows).
    buckets: BUCKET_TABLES.map((t) => `DELETE FROM ${t} WHERE bucket < ${d.least("?", `(SELECT min(bucket) FROM ${t} WHERE bucket < ?) + ${DAY_MS}`)}`),
    // Contacts whose latest failure is before the cutoff left their quarters already (one statement:
    // the table is small). Only quarters wholly before it: one the cutoff cuts still counts the
    // contacts whose latest failure follows the cutoff in it.
    contactQuarters: `DELETE FROM contact_state_quarters WHERE bucket <= ?`,
    lackingQuarters: `DELETE FROM contact_lacking_quarters WHERE bucket <= ?`,
    // PostgreSQL: an incident ingest holds (it may be regressing it) is left for the next run.
    oldIncidents: `SELECT id FROM incidents WHERE status = 'resolved' AND last_seen < ? LIMIT ? ${d.skipLocked}`,
    incidentContacts: `DELETE FROM incident_contacts WHERE incident_id IN ${ids}`,
    incidentActivity: `DELETE FROM incident_activity WHERE incident_id IN ${ids}`,
    incidentHours: `DELETE FROM incident_hours WHERE incident_id IN ${ids}`,
    incidents: `DELETE FROM incidents WHERE id IN ${ids}`,
  };
});

type EventBatch = Pick<PurgeResult, "rawEvents" | "failures" | "templateStatus" | "closedSessions">;

/**
 * One transaction: the oldest `batchRows` raw events before `cutoff` with what was derived from
 * them row by row, and the state of the contacts whose failures go. The contacts are locked in
 * key order first, as ingest locks them (lib/ingest/store.ts: lockAhead), so on PostgreSQL an
 * ingest of the same contact on any instance commits wholly before or after this recount.
 * Only `tx` calls are awaited inside: see "Converting lib/" in docs/postgresql.md.
 */
function purgeEventBatch(cutoff: number, batchRows: number): Promise<EventBatch> {
  return getEngine().transaction(async (tx) => {
    const sql = retentionSql(tx.dialect);
    const batch: EventBatch = { rawEvents: 0, failures: 0, templateStatus: 0, closedSessions: 0 };
    let events = await tx.query<{ id: number }>(sql.oldFailureEvents, [cutoff, batchRows]);
    if (events.length === 0) events = await tx.query<{ id: number }>(sql.oldOtherEvents, [cutoff, batchRows]);
    if (events.length === 0) return batch;
    const ids = JSON.stringify(events.map((e) => e.id));
    const contacts = new ContactStateChanges(tx.dialect);
    const purgedContacts = (await tx.query<{ contact: string }>(sql.contactsOf, [ids])).map((r) => r.contact).sort();
    for (const contact of purgedContacts) await runStepsOn(tx, contacts.lock(contact));
    for (const contact of purgedContacts) await runStepsOn(tx, contacts.forgetBefore(contact, cutoff));
    await runStepsOn(tx, contacts.flush());
    await tx.exec(sql.detachActivity, [ids]);
    batch.failures = (await tx.exec(sql.failures, [ids])).changes;
    batch.templateStatus = (await tx.exec(sql.templateStatus, [ids])).changes;
    batch.closedSessions = (await tx.exec(sql.closedSessions, [ids])).changes;
    batch.rawEvents = (await tx.exec(sql.rawEvents, [ids])).changes;
    return batch;
  });
}

/** One transaction: up to `batchRows` resolved incidents last seen before `cutoff`, with their contacts, activity and hours. */
function purgeIncidentBatch(cutoff: number, batchRows: number): Promise<number> {
  return getEngine().transaction(async (tx) => {
    const sql = retentionSql(tx.dialect);
    const incidents = await tx.query<{ id: number }>(sql.oldIncidents, [cutoff, batchRows]);
    if (incidents.length === 0) return 0;
    const ids = JSON.stringify(incidents.map((i) => i.id));
    await tx.exec(sql.incidentContacts, [ids]);
    await tx.exec(sql.incidentActivity, [ids]);
    await tx.exec(sql.incidentHours, [ids]);
    return (await tx.exec(sql.incidents, [ids])).changes;
  });
}

/**
 * Deletes everything that happened before `cutoff`, in transactions of at most `batchRows` rows
 * with a pause between them, so ingest keeps committing while a large backlog is purged:
 * raw events (quarantined ones too) with their failures, template status rows and closed sessions, the rollup and contact-sketch buckets
 * before the cutoff, the per-contact state of what was purged (contacts with no failure left, "do not contact" failures that are gone), and resolved incidents last seen before it (with their contacts and activity).
 * Open and acknowledged incidents stay, with their lifetime counters and contact sets.
 */
export async function purgeOlderThan(cutoff: number, batchRows = PURGE_BATCH_ROWS): Promise<PurgeResult> {
  const result: PurgeResult = { rawEvents: 0, failures: 0, templateStatus: 0, closedSessions: 0, buckets: 0, incidents: 0 };
  for (;;) {
    const batch = await purgeEventBatch(cutoff, batchRows);
    if (batch.rawEvents === 0) break;
    result.rawEvents += batch.rawEvents;
    result.failures += batch.failures;
    result.templateStatus += batch.templateStatus;
    result.closedSessions += batch.closedSessions;
    await yieldToIngest();
  }

  const engine = getEngine();
  const sql = retentionSql(engine.dialect);
  for (const statement of sql.buckets) {
    for (;;) {
      const { changes } = await engine.exec(statement, [cutoff, cutoff]);
      if (changes === 0) break;
      result.buckets += changes;
      await yieldToIngest();
    }
  }

  result.buckets += (await engine.exec(sql.contactQuarters, [cutoff - QUARTER_HOUR_MS])).changes;
  result.buckets += (await engine.exec(sql.lackingQuarters, [cutoff - QUARTER_HOUR_MS])).changes;

  for (;;) {
    const deleted = await purgeIncidentBatch(cutoff, batchRows);
    if (deleted === 0) break;
    result.incidents += deleted;
    await yieldToIngest();
  }
  return result;
}

/** How often the server purges; a new day's worth of old data is due once a day. */
const PURGE_EVERY_MS = 60 * 60_000;

/**
 * Purges data older than `days` whole UTC days now and every hour after while `leader` leads,
 * until the returned function is called. A failed run (e.g. the disk is full) is logged and
 * retried at the next tick.
 */
export function scheduleRetention(leader: Leadership, days: number, everyMs = PURGE_EVERY_MS): () => void {
  return runAsLeader(leader, "retention purge", everyMs, async () => {
    const cutoff = retentionCutoff(Date.now(), days);
    const purged = await purgeOlderThan(cutoff);
    logger().info({ cutoff: new Date(cutoff).toISOString(), ...purged }, "retention purge done");
  });
}
