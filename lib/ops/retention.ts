import type Database from "better-sqlite3";
import { ContactStateTallies } from "@/lib/ingest/contact-state";
import { logger } from "@/lib/log";
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
  "phone_gram_hour_line",
  "phone_gram_hour_template",
  "phone_gram_day_line",
  "phone_gram_day_template",
  "contact_sketch_hour",
  "contact_sketch_day",
] as const;

function purgeStatements(sqlite: Database.Database, limit: number) {
  // Ids travel as one JSON array parameter, so every statement is prepared once.
  const ids = "(SELECT value FROM json_each(?))";
  return {
    oldEvents: sqlite.prepare(`SELECT json_group_array(id) FROM (SELECT id FROM raw_events WHERE occurred_at < ? ORDER BY occurred_at LIMIT ${limit})`).pluck(),
    contactsOf: sqlite
      .prepare(`SELECT DISTINCT coalesce(phone_e164, cellphone) FROM failures WHERE raw_event_id IN ${ids} AND coalesce(phone_e164, cellphone) IS NOT NULL`)
      .pluck(),
    detachActivity: sqlite.prepare(`UPDATE incident_activity SET failure_id = NULL WHERE failure_id IN (SELECT id FROM failures WHERE raw_event_id IN ${ids})`),
    failures: sqlite.prepare(`DELETE FROM failures WHERE raw_event_id IN ${ids}`),
    templateStatus: sqlite.prepare(`DELETE FROM template_status_events WHERE raw_event_id IN ${ids}`),
    closedSessions: sqlite.prepare(`DELETE FROM closed_sessions WHERE raw_event_id IN ${ids}`),
    rawEvents: sqlite.prepare(`DELETE FROM raw_events WHERE id IN ${ids}`),
    // The oldest day's buckets per statement (the tables have no rowid to batch by; a day holds
    // that day's reason × line × template combinations, a bounded handful of rows).
    buckets: BUCKET_TABLES.map((t) =>
      sqlite.prepare(`DELETE FROM ${t} WHERE bucket < min(@cutoff, (SELECT min(bucket) FROM ${t} WHERE bucket < @cutoff) + ${DAY_MS})`),
    ),
    // Contacts whose latest failure is before the cutoff left their hours already (one statement: the table is small).
    contactQuarters: sqlite.prepare(`DELETE FROM contact_state_quarters WHERE bucket < ?`),
    oldIncidents: sqlite
      .prepare(`SELECT json_group_array(id) FROM (SELECT id FROM incidents WHERE status = 'resolved' AND last_seen < ? LIMIT ${limit})`)
      .pluck(),
    incidentContacts: sqlite.prepare(`DELETE FROM incident_contacts WHERE incident_id IN ${ids}`),
    incidentActivity: sqlite.prepare(`DELETE FROM incident_activity WHERE incident_id IN ${ids}`),
    incidentHours: sqlite.prepare(`DELETE FROM incident_hours WHERE incident_id IN ${ids}`),
    incidents: sqlite.prepare(`DELETE FROM incidents WHERE id IN ${ids}`),
  };
}

/**
 * Deletes everything that happened before `cutoff`, in transactions of at most `batchRows` rows
 * with a pause between them, so ingest keeps committing while a large backlog is purged:
 * raw events (quarantined ones too) with their failures, template status rows and closed sessions, the rollup and contact-sketch buckets
 * before the cutoff, the per-contact state of what was purged (contacts with no failure left, "do not contact" failures that are gone), and resolved incidents last seen before it (with their contacts and activity).
 * Open and acknowledged incidents stay, with their lifetime counters and contact sets.
 */
export async function purgeOlderThan(sqlite: Database.Database, cutoff: number, batchRows = PURGE_BATCH_ROWS): Promise<PurgeResult> {
  const s = purgeStatements(sqlite, batchRows);
  const result: PurgeResult = { rawEvents: 0, failures: 0, templateStatus: 0, closedSessions: 0, buckets: 0, incidents: 0 };

  const eventBatch = sqlite.transaction(() => {
    const ids = s.oldEvents.get(cutoff) as string;
    if (ids === "[]") return 0;
    const contacts = new ContactStateTallies(sqlite);
    for (const contact of s.contactsOf.all(ids) as string[]) contacts.forgetBefore(contact, cutoff);
    contacts.flush();
    s.detachActivity.run(ids);
    result.failures += s.failures.run(ids).changes;
    result.templateStatus += s.templateStatus.run(ids).changes;
    result.closedSessions += s.closedSessions.run(ids).changes;
    const deleted = s.rawEvents.run(ids).changes;
    result.rawEvents += deleted;
    return deleted;
  });
  while (eventBatch.immediate() > 0) await yieldToIngest();

  for (const statement of s.buckets) {
    for (;;) {
      const deleted = statement.run({ cutoff }).changes;
      if (deleted === 0) break;
      result.buckets += deleted;
      await yieldToIngest();
    }
  }

  result.buckets += s.contactQuarters.run(cutoff).changes;

  const incidentBatch = sqlite.transaction(() => {
    const ids = s.oldIncidents.get(cutoff) as string;
    if (ids === "[]") return 0;
    s.incidentContacts.run(ids);
    s.incidentActivity.run(ids);
    s.incidentHours.run(ids);
    const deleted = s.incidents.run(ids).changes;
    result.incidents += deleted;
    return deleted;
  });
  while (incidentBatch.immediate() > 0) await yieldToIngest();
  return result;
}

/** How often the server purges; a new day's worth of old data is due once a day. */
const PURGE_EVERY_MS = 60 * 60_000;

/**
 * Purges data older than `days` whole UTC days now and every hour after while `leader` leads,
 * until the returned function is called. A failed run (e.g. the disk is full) is logged and
 * retried at the next tick.
 */
export function scheduleRetention(leader: Leadership, sqlite: Database.Database, days: number, everyMs = PURGE_EVERY_MS): () => void {
  return runAsLeader(leader, "retention purge", everyMs, async () => {
    const cutoff = retentionCutoff(Date.now(), days);
    const purged = await purgeOlderThan(sqlite, cutoff);
    logger().info({ cutoff: new Date(cutoff).toISOString(), ...purged }, "retention purge done");
  });
}
