import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
    /** Sending WhatsApp line, `+<digits>` when it looks like a phone number; null = unknown. */
    line: text("line"),
    template: text("template"),
    countryCode: text("country_code"),
    cellphone: text("cellphone"),
    phoneE164: text("phone_e164"),
    pollId: text("poll_id"),
    deploymentId: text("deployment_id"),
    batchId: text("batch_id"),
    sessionId: text("session_id"),
    /** JSON text of `user_session_keys` exactly as given (array or object), or null. */
    userSessionKeys: text("user_session_keys"),
  },
  (t) => [
    uniqueIndex("failures_raw_event_id_idx").on(t.rawEventId),
    index("failures_occurred_at_idx").on(t.occurredAt),
  ],
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
