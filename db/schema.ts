import { sql } from "drizzle-orm";
import { INCIDENT_STATUSES } from "../lib/incidents/statuses";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Every accepted webhook event, verbatim. This is the source of truth: failure rows and template
 * status rows are derived from it and can be rebuilt by re-processing `payload`.
 * Times are UTC epoch milliseconds.
 */
export const rawEvents = sqliteTable(
  "raw_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** `event_id` as sent, or the SHA-256 (hex) of the raw event when the sender gave none. */
    dedupeKey: text("dedupe_key").notNull(),
    /** `event_id` exactly as sent; null when absent. */
    eventId: text("event_id"),
    eventType: text("event_type").notNull(),
    /** Event time from the payload; equals `receivedAt` when the payload had no timestamp. */
    occurredAt: integer("occurred_at").notNull(),
    /** True when the payload carried no timestamp and `occurredAt` is the receipt time. */
    occurredAtFromReceipt: integer("occurred_at_from_receipt", { mode: "boolean" }).notNull().default(false),
    receivedAt: integer("received_at").notNull(),
    /** The event's JSON text exactly as received (one element of a batch, byte for byte). */
    payload: text("payload").notNull(),
  },
  (t) => [uniqueIndex("raw_events_dedupe_key_idx").on(t.dedupeKey), index("raw_events_received_at_idx").on(t.receivedAt)],
);

/** One row per `deployment.failure` event, normalised from the payload's aliases. */
export const failures = sqliteTable(
  "failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rawEventId: integer("raw_event_id")
      .notNull()
      .references(() => rawEvents.id),
    dedupeKey: text("dedupe_key").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** Canonical upper-case code for the 18 known reasons; verbatim (trimmed) otherwise. */
    reason: text("reason").notNull(),
    reasonKnown: integer("reason_known", { mode: "boolean" }).notNull(),
    /** Sending WhatsApp line, `+<digits>` when it looks like a phone number; "" = unknown. */
    line: text("line").notNull().default(""),
    /** Template name; "" = unknown. (Not NULL, so keyset pagination by line/template can use the index.) */
    template: text("template").notNull().default(""),
    countryCode: text("country_code"),
    cellphone: text("cellphone"),
    phoneE164: text("phone_e164"),
    pollId: text("poll_id"),
    deploymentId: text("deployment_id"),
    batchId: text("batch_id"),
    sessionId: text("session_id"),
    /** JSON text of `user_session_keys` exactly as given (array or object), or null. */
    userSessionKeys: text("user_session_keys"),
    /** The incident of this failure's (reason, line, template). */
    incidentId: integer("incident_id")
      .notNull()
      .references(() => incidents.id),
  },
  // One index per way the failures table is filtered or sorted; each ends in occurred_at so a
  // keyset page is an index range scan. (rowid is implicitly the last index column.)
  (t) => [
    uniqueIndex("failures_raw_event_id_idx").on(t.rawEventId),
    index("failures_occurred_at_idx").on(t.occurredAt),
    index("failures_reason_idx").on(t.reason, t.occurredAt),
    index("failures_line_idx").on(t.line, t.occurredAt),
    index("failures_template_idx").on(t.template, t.occurredAt),
    index("failures_phone_idx").on(t.phoneE164, t.occurredAt),
    index("failures_incident_idx").on(t.incidentId, t.occurredAt),
  ],
);


/**
 * Failures grouped by (reason, line, template): what a campaign manager handles. Counters are
 * maintained at ingest. Unknown line/template are keyed as "" so the key stays unique.
 */
export const incidents = sqliteTable(
  "incidents",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    reason: text("reason").notNull(),
    lineKey: text("line_key").notNull(),
    templateKey: text("template_key").notNull(),
    status: text("status", { enum: INCIDENT_STATUSES }).notNull().default("open"),
    /** Reopened by a failure received after it was resolved; cleared when resolved again. */
    regressed: integer("regressed", { mode: "boolean" }).notNull().default(false),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    failures: integer("failures").notNull().default(0),
    contacts: integer("contacts").notNull().default(0),
    /** Failures received while acknowledged (since the last acknowledgement). */
    newSinceAck: integer("new_since_ack").notNull().default(0),
    acknowledgedAt: integer("acknowledged_at"),
    acknowledgedBy: text("acknowledged_by"),
    resolvedAt: integer("resolved_at"),
    resolvedBy: text("resolved_by"),
    note: text("note"),
    reopenedCount: integer("reopened_count").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("incidents_key_idx").on(t.reason, t.lineKey, t.templateKey),
    index("incidents_status_idx").on(t.status, t.lastSeen),
    index("incidents_last_seen_idx").on(t.lastSeen),
  ],
);

/** Distinct contacts of an incident (so `incidents.contacts` counts each contact once). */
export const incidentContacts = sqliteTable(
  "incident_contacts",
  {
    incidentId: integer("incident_id")
      .notNull()
      .references(() => incidents.id),
    contact: text("contact").notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.contact] })],
);

/** What happened to an incident: regressions at ingest, and (later) people's actions. */
export const incidentActivity = sqliteTable(
  "incident_activity",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    incidentId: integer("incident_id")
      .notNull()
      .references(() => incidents.id),
    at: integer("at").notNull(),
    actor: text("actor"),
    action: text("action").notNull(),
    note: text("note"),
    failureId: integer("failure_id"),
  },
  (t) => [index("incident_activity_incident_idx").on(t.incidentId, t.at)],
);

/**
 * Pre-aggregated failure counts, maintained at ingest, so dashboard stats never scan the raw
 * table for whole hours/days. Unknown line/template are "". Times are UTC bucket starts (ms).
 * - rollup_hour_reason: tiny (hours × reasons); timelines and unfiltered totals.
 * - rollup_hour: the (reason, line, template) cube per hour; exact for any filter combination.
 * - rollup_day: the same cube per UTC day; long ranges read ~24× fewer rows.
 */
export const rollupHourReason = sqliteTable(
  "rollup_hour_reason",
  {
    bucket: integer("bucket").notNull(),
    reason: text("reason").notNull(),
    failures: integer("failures").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.reason] })],
);

export const rollupHour = sqliteTable(
  "rollup_hour",
  {
    bucket: integer("bucket").notNull(),
    reason: text("reason").notNull(),
    line: text("line").notNull(),
    template: text("template").notNull(),
    failures: integer("failures").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.reason, t.line, t.template] })],
);

export const rollupDay = sqliteTable(
  "rollup_day",
  {
    bucket: integer("bucket").notNull(),
    reason: text("reason").notNull(),
    line: text("line").notNull(),
    template: text("template").notNull(),
    failures: integer("failures").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.reason, t.line, t.template] })],
);

/** Template status changes received through `hsm.status` events. */
export const templateStatusEvents = sqliteTable(
  "template_status_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rawEventId: integer("raw_event_id")
      .notNull()
      .references(() => rawEvents.id),
    template: text("template").notNull(),
    status: text("status").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("template_status_events_template_idx").on(t.template, t.occurredAt)],
);

/** Small key/value store for settings the server generates itself (e.g. the webhook secret). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at")
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
});
