import { sql } from "drizzle-orm";
import { INCIDENT_STATUSES } from "../../lib/incidents/statuses";
import { ROLES } from "../../lib/auth/roles";
import { BATCH_STATUSES, PLAN_STATUSES } from "../../lib/redeploy/states";
import { gramColumn, LACKING_COLUMNS, PHONE_GRAMS } from "../../lib/phone-grams";
import { bigint, customType, doublePrecision, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/*
 * The PostgreSQL twin of db/schema.ts: same tables, columns, indexes and value encodings, so one
 * SQL text (with `?` placeholders, translated by db/pg/engine.ts) reads and writes either engine.
 * - Times stay UTC epoch milliseconds (bigint), ids are bigint identities (explicit ids may still be
 *   inserted: db:copy does), counters are integer; the pool parses int8 as a JS number.
 * - Flags stay 0/1 (smallint): `WHERE enabled = 1` works on both, and rows read back alike.
 * - SQLite's FTS5 trigram index over contact_phones is a pg_trgm GIN index here.
 * schema-parity.test.ts fails when this file and db/schema.ts drift apart.
 */

/** A boolean stored as 0/1, as SQLite stores it. */
const flag = customType<{ data: boolean; driverData: number }>({
  dataType: () => "smallint",
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Number(value) !== 0,
});

/** A Date stored as UTC epoch milliseconds, as SQLite's timestamp_ms columns (better-auth's fields). */
const epochMsDate = customType<{ data: Date; driverData: number | string }>({
  dataType: () => "bigint",
  toDriver: (value) => value.getTime(),
  fromDriver: (value) => new Date(Number(value)),
});

const bytes = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

const epochMsNow = sql`((extract(epoch from clock_timestamp()) * 1000)::bigint)`;


/**
 * Every accepted webhook event, verbatim. This is the source of truth: failure rows and template
 * status rows are derived from it and can be rebuilt by re-processing `payload`.
 * Times are UTC epoch milliseconds.
 */
export const rawEvents = pgTable(
  "raw_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    /**
     * `event_id` exactly as sent, or `sha256:` + the SHA-256 (hex) of the raw event when the sender
     * gave none (the payload keeps the id as sent too), in the compact tagged form of
     * lib/ingest/compact-values.ts.
     */
    dedupeKey: bytes("dedupe_key").notNull(),
    /**
     * `event_type` as sent; "" once accepted as a failure (its failures row says what it was, and
     * deflate cannot share 18 bytes a row). Kept for quarantined events (their list shows it), for
     * the few `hsm.status` and `session.close` events and for types of no row of their own.
     */
    eventType: text("event_type").notNull(),
    /** Event time from the payload; equals `receivedAt` when the payload had no timestamp. */
    occurredAt: bigint("occurred_at", { mode: "number" }).notNull(),
    /** True when the payload carried no timestamp and `occurredAt` is the receipt time. */
    occurredAtFromReceipt: flag("occurred_at_from_receipt").notNull().default(sql`0`),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
    /** The event exactly as received, stored as `payloadCodec` says (lib/ingest/payload-codec.ts). */
    payload: bytes("payload").notNull(),
    /** How `payload` is stored; 0 = the UTF-8 text as is. */
    payloadCodec: integer("payload_codec").notNull().default(0),
    /**
     * The event time the sender gave when it lay more than 10 minutes after receipt (clock skew):
     * `occurredAt` is then the receipt time. Null otherwise.
     */
    sentOccurredAt: bigint("sent_occurred_at", { mode: "number" }),
    /**
     * Quarantine: JSON `[{path,message}]` of why the event could not be normalised; null once it
     * was (nothing is derived from a quarantined event until re-processing normalises it).
     */
    problems: text("problems"),
  },
  (t) => [
    uniqueIndex("raw_events_dedupe_key_idx").on(t.dedupeKey),
    // Retention purges by event time, oldest first: a failure's raw event through
    // failures_occurred_at_idx, every other raw event through this (a few rows, not 17 B a failure).
    index("raw_events_not_failure_occurred_at_idx")
      .on(t.occurredAt)
      .where(sql`${t.eventType} <> '' OR ${t.problems} IS NOT NULL`),
    // Only quarantined events: the quarantine list, its count and re-processing read nothing else.
    index("raw_events_quarantined_idx").on(t.id).where(sql`${t.problems} IS NOT NULL`),
  ],
);

/** One row per `deployment.failure` event, normalised from the payload's aliases. */
export const failures = pgTable(
  "failures",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    rawEventId: bigint("raw_event_id", { mode: "number" })
      .notNull()
      .references(() => rawEvents.id),
    occurredAt: bigint("occurred_at", { mode: "number" }).notNull(),
    /** Canonical upper-case code for the 18 known reasons; verbatim (trimmed) otherwise. */
    reason: text("reason").notNull(),
    reasonKnown: flag("reason_known").notNull(),
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
    /** JSON text of `user_session_keys` exactly as given (array or object), or null; stored as lib/ingest/compact-values.ts says. */
    userSessionKeys: bytes("user_session_keys"),
    /** The incident of this failure's (reason, line, template). */
    incidentId: bigint("incident_id", { mode: "number" })
      .notNull()
      .references(() => incidents.id),
  },
  // One index per way the failures table is filtered or sorted; each ends in occurred_at so a
  // keyset page is an index range scan. (rowid is implicitly the last index column.)
  (t) => [
    // Also what deleting a raw event checks its foreign key with (a scan per check without it).
    uniqueIndex("failures_raw_event_id_idx").on(t.rawEventId),
    index("failures_occurred_at_idx").on(t.occurredAt),
    index("failures_reason_idx").on(t.reason, t.occurredAt),
    index("failures_line_idx").on(t.line, t.occurredAt),
    index("failures_template_idx").on(t.template, t.occurredAt),
    index("failures_phone_idx").on(t.phoneE164, t.occurredAt),
    index("failures_incident_idx").on(t.incidentId, t.occurredAt),
    // Phone search (lib/queries/failure-filter.ts) finds contacts without an E.164 number by cellphone.
    index("failures_cellphone_idx").on(t.cellphone, t.occurredAt).where(sql`${t.phoneE164} IS NULL`),
    // PostgreSQL's phone search reads failures_contact_cover_idx instead: (coalesce(phone_e164,
    // cellphone), occurred_at) INCLUDE the columns its counts read, for index-only scans. drizzle
    // cannot declare INCLUDE, so it is created by migrations-pg/0012_contact_cover.sql alone.
  ],
);

/**
 * Every distinct (E.164, cellphone) pair failures carry ("" = none), added at ingest: what phone
 * search looks digits up in, through pg_trgm GIN indexes (`LIKE '%digits%'` uses them) instead of
 * LIKE over every failure of the window. SQLite uses an FTS5 trigram table for the same.
 */
export const contactPhones = pgTable(
  "contact_phones",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    phoneE164: text("phone_e164").notNull(),
    cellphone: text("cellphone").notNull(),
  },
  (t) => [
    uniqueIndex("contact_phones_pair_idx").on(t.phoneE164, t.cellphone),
    index("contact_phones_e164_trgm_idx").using("gin", t.phoneE164.op("gin_trgm_ops")),
    index("contact_phones_cellphone_trgm_idx").using("gin", t.cellphone.op("gin_trgm_ops")),
  ],
);


/**
 * Failures grouped by (reason, line, template): what a campaign manager handles. Counters are
 * maintained at ingest. Unknown line/template are keyed as "" so the key stays unique.
 */
export const incidents = pgTable(
  "incidents",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    reason: text("reason").notNull(),
    lineKey: text("line_key").notNull(),
    templateKey: text("template_key").notNull(),
    status: text("status", { enum: INCIDENT_STATUSES }).notNull().default("open"),
    /** Reopened by a failure received after it was resolved; cleared when resolved again. */
    regressed: flag("regressed").notNull().default(sql`0`),
    firstSeen: bigint("first_seen", { mode: "number" }).notNull(),
    lastSeen: bigint("last_seen", { mode: "number" }).notNull(),
    failures: integer("failures").notNull().default(0),
    contacts: integer("contacts").notNull().default(0),
    /** Failures received while acknowledged (since the last acknowledgement). */
    newSinceAck: integer("new_since_ack").notNull().default(0),
    acknowledgedAt: bigint("acknowledged_at", { mode: "number" }),
    acknowledgedBy: text("acknowledged_by"),
    resolvedAt: bigint("resolved_at", { mode: "number" }),
    resolvedBy: text("resolved_by"),
    note: text("note"),
    reopenedCount: integer("reopened_count").notNull().default(0),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
    // ── Lifecycle (lib/incidents): snooze, assignment, escalation ──
    /** While snoozed: wakes at this time (null = not by time). */
    snoozeUntil: bigint("snooze_until", { mode: "number" }),
    /** While snoozed: wakes when this many more failures have arrived (null = not by count). */
    snoozeFailuresLeft: integer("snooze_failures_left"),
    /** While snoozed: wakes when it starts escalating. */
    snoozeUntilEscalating: flag("snooze_until_escalating").notNull().default(sql`0`),
    assigneeId: text("assignee_id").references(() => users.id),
    /** Its current hour's failures are far above its usual rate (lib/incidents/escalation.ts). */
    escalating: flag("escalating").notNull().default(sql`0`),
    escalatingSince: bigint("escalating_since", { mode: "number" }),
    /** The latest hour (UTC start) whose failures exceeded the threshold; clears an hour after. */
    escalatingHour: bigint("escalating_hour", { mode: "number" }),
    /** The hour (UTC start, event time) that hourFailures and hourThreshold are about. */
    hourBucket: bigint("hour_bucket", { mode: "number" }),
    hourFailures: integer("hour_failures").notNull().default(0),
    /** Failures in hourBucket must exceed this (and reach 20) to escalate; null = cannot escalate this hour. */
    hourThreshold: doublePrecision("hour_threshold"),
  },
  (t) => [
    uniqueIndex("incidents_key_idx").on(t.reason, t.lineKey, t.templateKey),
    index("incidents_status_idx").on(t.status, t.lastSeen),
    index("incidents_last_seen_idx").on(t.lastSeen),
    index("incidents_snooze_until_idx").on(t.status, t.snoozeUntil),
    index("incidents_assignee_idx").on(t.assigneeId, t.lastSeen),
  ],
);

/**
 * Failures per incident per hour (UTC start, event time), kept at ingest: the history that
 * escalation compares the current hour against. Only the last 8 days are kept.
 */
export const incidentHours = pgTable(
  "incident_hours",
  {
    incidentId: bigint("incident_id", { mode: "number" })
      .notNull()
      .references(() => incidents.id),
    bucket: bigint("bucket", { mode: "number" }).notNull(),
    failures: integer("failures").notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.bucket] }), index("incident_hours_bucket_idx").on(t.bucket)],
);

/** Distinct contacts of an incident (so `incidents.contacts` counts each contact once). */
export const incidentContacts = pgTable(
  "incident_contacts",
  {
    incidentId: bigint("incident_id", { mode: "number" })
      .notNull()
      .references(() => incidents.id),
    contact: text("contact").notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.contact] })],
);

/** What happened to an incident: people's actions and comments, and the server's own transitions (actor null). */
export const incidentActivity = pgTable(
  "incident_activity",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    incidentId: bigint("incident_id", { mode: "number" })
      .notNull()
      .references(() => incidents.id),
    at: bigint("at", { mode: "number" }).notNull(),
    actor: text("actor"),
    action: text("action").notNull(),
    note: text("note"),
    failureId: bigint("failure_id", { mode: "number" }),
  },
  (t) => [index("incident_activity_incident_idx").on(t.incidentId, t.at)],
);

/**
 * Pre-aggregated failure counts, maintained at ingest, so dashboard stats never scan the raw
 * table for whole hours/days. Unknown line/template are "". Buckets are UTC starts (ms).
 * Mostly two-dimensional (reason × line, reason × template) per hour and day; the reason × line
 * × template cube per hour and day serves only filters that combine a line with a template (read
 * through its (line, template, bucket) index) or an incident status (through its incident_id).
 * - rollup_hour_reason, rollup_day_reason: hours / days × reasons; timelines.
 * - rollup_{hour,day}_line / _template: totals and breakdowns under reason/line/template filters.
 * - rollup_hour, rollup_day: the reason × line × template cube per hour and per day.
 */
const rollupTable = <Dims extends Record<string, ReturnType<typeof text>>>(name: string, dims: Dims) =>
  pgTable(
    name,
    { bucket: bigint("bucket", { mode: "number" }).notNull(), reason: text("reason").notNull(), ...dims, failures: integer("failures").notNull() },
    (t) => [primaryKey({ columns: [t.bucket, t.reason, ...Object.keys(dims).map((k) => (t as unknown as Record<string, never>)[k]!)] })],
  );

export const rollupHourReason = rollupTable("rollup_hour_reason", {});
/** Quarter hours × reasons: local hours and days of zones whose offset is not whole hours (Asia/Kolkata, Asia/Kathmandu). */
export const rollupQuarterReason = rollupTable("rollup_quarter_reason", {});
/** Days × reasons: long day-bucketed timelines read days, plus a few hours to shift to local days. */
export const rollupDayReason = rollupTable("rollup_day_reason", {});
export const rollupHourLine = rollupTable("rollup_hour_line", { line: text("line").notNull() });
export const rollupHourTemplate = rollupTable("rollup_hour_template", { template: text("template").notNull() });
export const rollupDayLine = rollupTable("rollup_day_line", { line: text("line").notNull() });
export const rollupDayTemplate = rollupTable("rollup_day_template", { template: text("template").notNull() });
/** The cube's columns, with the incident of each row's key (see db/schema.ts). */
const cubeColumns = () => ({
  bucket: bigint("bucket", { mode: "number" }).notNull(),
  reason: text("reason").notNull(),
  line: text("line").notNull(),
  template: text("template").notNull(),
  failures: integer("failures").notNull(),
  incidentId: bigint("incident_id", { mode: "number" }),
});
/** The hourly cube is read by line and template first: a line + template filter reads its own rows. */
export const rollupHour = pgTable("rollup_hour", cubeColumns(), (t) => [
  primaryKey({ columns: [t.bucket, t.reason, t.line, t.template] }),
  index("rollup_hour_scope_idx").on(t.line, t.template, t.bucket),
]);
export const rollupDay = pgTable("rollup_day", cubeColumns(), (t) => [primaryKey({ columns: [t.bucket, t.reason, t.line, t.template] })]);

/** Phone-gram rollups: a failures counter per one- or two-digit gram (see db/schema.ts). */
const phoneGramTable = <Dims extends Record<string, ReturnType<typeof text>>>(name: string, dims: Dims) =>
  pgTable(
    name,
    {
      bucket: bigint("bucket", { mode: "number" }).notNull(),
      reason: text("reason").notNull(),
      ...dims,
      ...(Object.fromEntries(PHONE_GRAMS.map((g) => [gramColumn(g), integer(gramColumn(g)).notNull().default(0)])) as Record<string, ReturnType<typeof integer>>),
    },
    (t) => [primaryKey({ columns: [t.bucket, t.reason, ...Object.keys(dims).map((k) => (t as unknown as Record<string, never>)[k]!)] })],
  );

/** Per reason alone (summed over lines and templates): timelines and totals of a phone search read these. */
export const phoneGramHourReason = phoneGramTable("phone_gram_hour_reason", {});
export const phoneGramDayReason = phoneGramTable("phone_gram_day_reason", {});
export const phoneGramHourLine = phoneGramTable("phone_gram_hour_line", { line: text("line").notNull() });
export const phoneGramHourTemplate = phoneGramTable("phone_gram_hour_template", { template: text("template").notNull() });
export const phoneGramDayLine = phoneGramTable("phone_gram_day_line", { line: text("line").notNull() });
export const phoneGramDayTemplate = phoneGramTable("phone_gram_day_template", { template: text("template").notNull() });

/**
 * HyperLogLog sketches (lib/hll.ts) of the contacts that failed, per bucket and reason, so
 * "affected contacts" over long windows is estimated without scanning millions of rows.
 */
/** The sketch "reason" holding every reason's contacts, so unfiltered windows merge one per bucket. */
export const ALL_REASONS_SKETCH = "*";

export const contactSketchHour = pgTable(
  "contact_sketch_hour",
  { bucket: bigint("bucket", { mode: "number" }).notNull(), reason: text("reason").notNull(), registers: bytes("registers").notNull() },
  (t) => [primaryKey({ columns: [t.bucket, t.reason] })],
);
export const contactSketchDay = pgTable(
  "contact_sketch_day",
  { bucket: bigint("bucket", { mode: "number" }).notNull(), reason: text("reason").notNull(), registers: bytes("registers").notNull() },
  (t) => [primaryKey({ columns: [t.bucket, t.reason] })],
);
/** Per-contact latest state per scope (see db/schema.ts; lib/ingest/contact-state.ts). */
export const contactState = pgTable(
  "contact_state",
  {
    contact: text("contact").notNull(),
    scope: text("scope").notNull(),
    lastAt: bigint("last_at", { mode: "number" }).notNull(),
    lastReason: text("last_reason").notNull(),
    lastDncAt: bigint("last_dnc_at", { mode: "number" }),
  },
  (t) => [primaryKey({ columns: [t.contact, t.scope] })],
);
/** Per scope and quarter hour: contacts seen, on the retry list, and with a "do not contact" failure. */
export const contactStateQuarters = pgTable(
  "contact_state_quarters",
  {
    scope: text("scope").notNull(),
    bucket: bigint("bucket", { mode: "number" }).notNull(),
    seen: integer("seen").notNull(),
    retry: integer("retry").notNull(),
    dnc: integer("dnc").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.bucket] })],
);
/**
 * Per quarter hour, in the scope of every failure: of the contacts contact_state_quarters counts on
 * the retry list (`retry_lacks_<d>`) and the suppression list (`dnc_lacks_<d>`) there, those whose
 * own number (E.164, else the cellphone) lacks the digit d. A one-digit phone search matches every
 * contact but those (and a few judged one by one), so its list counts are quarter sums too.
 */
export const contactLackingQuarters = pgTable("contact_lacking_quarters", {
  bucket: bigint("bucket", { mode: "number" }).primaryKey(),
  ...(Object.fromEntries(LACKING_COLUMNS.map((c) => [c, integer(c).notNull().default(0)])) as Record<string, ReturnType<typeof integer>>),
});
/** Template status changes received through `hsm.status` events. */
export const templateStatusEvents = pgTable(
  "template_status_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    rawEventId: bigint("raw_event_id", { mode: "number" })
      .notNull()
      .references(() => rawEvents.id),
    template: text("template").notNull(),
    status: text("status").notNull(),
    occurredAt: bigint("occurred_at", { mode: "number" }).notNull(),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
    /** JSON array of `affected_conversation_ids` as sent (Treble's conversation ids); null when absent. */
    affectedConversationIds: text("affected_conversation_ids"),
  },
  (t) => [
    index("template_status_events_template_idx").on(t.template, t.occurredAt),
    // As failures_raw_event_idx: keeps the foreign-key check of a raw event's deletion cheap.
    index("template_status_events_raw_event_idx").on(t.rawEventId),
  ],
);

/**
 * Conversations (sessions) Treble closed, from `session.close` events: shown beside the failures
 * of a line or template. Unknown line/template are "" as in `failures`.
 */
export const closedSessions = pgTable(
  "closed_sessions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    rawEventId: bigint("raw_event_id", { mode: "number" })
      .notNull()
      .references(() => rawEvents.id),
    /** `session.external_id`; null when absent. */
    externalId: text("external_id"),
    /** `session.closed_at`, else the event time (UTC ms, never after receipt + 10 min). */
    closedAt: bigint("closed_at", { mode: "number" }).notNull(),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
    /** The line (`company.cellphone`), `+<digits>` when phone-like; "" = unknown. */
    line: text("line").notNull().default(""),
    /** `hsm.name` of the template that opened the session; "" = none or unknown. */
    template: text("template").notNull().default(""),
    countryCode: text("country_code"),
    cellphone: text("cellphone"),
    phoneE164: text("phone_e164"),
    /** How many entries `messages` held; null when absent. */
    messageCount: integer("message_count"),
  },
  (t) => [
    index("closed_sessions_closed_at_idx").on(t.closedAt),
    index("closed_sessions_line_idx").on(t.line, t.closedAt),
    index("closed_sessions_template_idx").on(t.template, t.closedAt),
    index("closed_sessions_raw_event_idx").on(t.rawEventId),
  ],
);

/** Small key/value store for settings the server generates itself (e.g. the webhook secret). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull().default(epochMsNow),
});

// ── Accounts and access ─────────────────────────────────────────────────────────────────────
// users, sessions, accounts and verifications are better-auth's tables (drizzle adapter, plural
// model names). Property names are better-auth's field names; its Date fields are stored as UTC
// epoch milliseconds like every other time here.

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Stored lower-case (better-auth looks users up by the lower-cased address). */
  email: text("email").notNull().unique(),
  emailVerified: flag("email_verified").notNull().default(sql`0`),
  image: text("image"),
  createdAt: epochMsDate("created_at").notNull().default(epochMsNow),
  updatedAt: epochMsDate("updated_at")
    .notNull()
    .default(epochMsNow)
    .$onUpdate(() => new Date()),
  role: text("role", { enum: ROLES }).notNull().default("viewer"),
  /** A disabled user cannot sign in, has no sessions, and their API tokens are refused. */
  disabled: flag("disabled").notNull().default(sql`0`),
  /** The interface language the user chose ("en" | "es" | "pt-BR"); null follows cookie / browser. */
  locale: text("locale"),
});

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    expiresAt: epochMsDate("expires_at").notNull(),
    token: text("token").notNull().unique(),
    createdAt: epochMsDate("created_at").notNull().default(epochMsNow),
    updatedAt: epochMsDate("updated_at")
      .notNull()
      .$onUpdate(() => new Date()),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId)],
);

/** Credentials: one "credential" account per user holds the (scrypt) password hash. */
export const accounts = pgTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: epochMsDate("access_token_expires_at"),
    refreshTokenExpiresAt: epochMsDate("refresh_token_expires_at"),
    scope: text("scope"),
    password: text("password"),
    createdAt: epochMsDate("created_at").notNull().default(epochMsNow),
    updatedAt: epochMsDate("updated_at")
      .notNull()
      .$onUpdate(() => new Date()),
  },
  (t) => [index("accounts_user_id_idx").on(t.userId)],
);

export const verifications = pgTable(
  "verifications",
  {
    id: text("id").primaryKey(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: epochMsDate("expires_at").notNull(),
    createdAt: epochMsDate("created_at").notNull().default(epochMsNow),
    updatedAt: epochMsDate("updated_at")
      .notNull()
      .default(epochMsNow)
      .$onUpdate(() => new Date()),
  },
  (t) => [index("verifications_identifier_idx").on(t.identifier)],
);

/**
 * API tokens for scripts (`Authorization: Bearer …`), acting with their owner's role. Only the
 * SHA-256 of a token is kept: tokens are 256-bit random, so a fast hash is enough to make a
 * leaked table useless. Times are UTC epoch milliseconds.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    name: text("name").notNull(),
    /** Hex SHA-256 of the whole token. */
    tokenHash: text("token_hash").notNull().unique(),
    /** The token's first characters, so people can tell their tokens apart in lists. */
    prefix: text("prefix").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Who created it; null when created from the command line. */
    createdBy: text("created_by"),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    lastUsedAt: bigint("last_used_at", { mode: "number" }),
    revokedAt: bigint("revoked_at", { mode: "number" }),
  },
  (t) => [index("api_tokens_user_id_idx").on(t.userId)],
);

/**
 * Who did what, when and from where: sign-ins, failed sign-ins, lockouts, user and role changes,
 * token creation/revocation, webhook secret rotation. Rows are only ever added.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    at: bigint("at", { mode: "number" }).notNull(),
    /** The acting user; null for the command line, the server itself, or an unknown person. */
    actorId: text("actor_id"),
    /** The actor's (or, for a failed sign-in, the attempted) e-mail address at the time. */
    actorEmail: text("actor_email"),
    action: text("action").notNull(),
    /** What was acted on, e.g. a user's e-mail address or "token #3". */
    target: text("target"),
    detail: text("detail"),
    ip: text("ip"),
  },
  (t) => [index("audit_log_at_idx").on(t.at)],
);

/**
 * Failed sign-ins per account ("email:<address>") and per client address ("ip:<address>"), and
 * how long each is locked out. Rows expire by time; a successful sign-in clears its account's row.
 */
export const signInThrottle = pgTable("sign_in_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  windowStart: bigint("window_start", { mode: "number" }).notNull(),
  lockedUntil: bigint("locked_until", { mode: "number" }),
});

// ── Re-deployment plans (lib/redeploy) ──────────────────────────────────────────────────────

/** A retry plan: who would be re-deployed (the dry run), then its execution. Times UTC ms. */
export const redeployPlans = pgTable(
  "redeploy_plans",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    status: text("status", { enum: PLAN_STATUSES }).notNull().default("draft"),
    /** What the plan was made from: {"filter":{…}} or {"incidentId":n} (JSON). */
    source: text("source").notNull(),
    /** Retryable classes included (JSON array). */
    include: text("include").notNull(),
    /** "now", "earliest" or an ISO instant, as asked. */
    sendAt: text("send_at").notNull(),
    /** The line every contact is moved to (`+<digits>`); null keeps each contact's own line. */
    line: text("line"),
    contacts: integer("contacts").notNull(),
    withoutPoll: integer("without_poll").notNull(),
    excludedDoNotContact: integer("excluded_do_not_contact").notNull(),
    excludedAlreadyRetried: integer("excluded_already_retried").notNull(),
    excludedNoPhone: integer("excluded_no_phone").notNull(),
    /** The dry run's breakdowns and samples (JSON), fixed at creation. */
    summary: text("summary").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    createdBy: text("created_by"),
    sentAt: bigint("sent_at", { mode: "number" }),
    sentBy: text("sent_by"),
    finishedAt: bigint("finished_at", { mode: "number" }),
    /** Why the plan failed or paused by itself. */
    error: text("error"),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
    /** The instance sending the plan now (lib/redeploy/worker.ts); null between its turns. */
    leaseOwner: text("lease_owner"),
    /** Until when that instance holds it unless it renews the lease. */
    leaseUntil: bigint("lease_until", { mode: "number" }),
  },
  (t) => [index("redeploy_plans_status_idx").on(t.status)],
);

/** The contacts of a plan, each with what will be sent for it. `batchSeq` null: no poll_id. */
export const redeployContacts = pgTable(
  "redeploy_contacts",
  {
    planId: bigint("plan_id", { mode: "number" })
      .notNull()
      .references(() => redeployPlans.id),
    /** E.164 phone, else the cellphone as sent (the identity contact lists use). */
    contact: text("contact").notNull(),
    failureId: bigint("failure_id", { mode: "number" }).notNull(),
    reason: text("reason").notNull(),
    pollId: text("poll_id"),
    countryCode: text("country_code").notNull(),
    cellphone: text("cellphone").notNull(),
    /** The line it will be sent from (`+<digits>`), "" when unknown. */
    line: text("line").notNull(),
    /** user_session_keys to send (JSON array of {key, value}). */
    sessionKeys: text("session_keys").notNull(),
    /** deployment_eta (unix seconds) or null for "as soon as possible". */
    eta: bigint("eta", { mode: "number" }),
    batchSeq: integer("batch_seq"),
    /** When its batch was accepted by Treble. */
    sentAt: bigint("sent_at", { mode: "number" }),
  },
  (t) => [primaryKey({ columns: [t.planId, t.contact] }), index("redeploy_contacts_contact_idx").on(t.contact, t.sentAt)],
);

/** The calls of a plan: at most 500 contacts of one poll each, recorded before and after the call. */
export const redeployBatches = pgTable(
  "redeploy_batches",
  {
    planId: bigint("plan_id", { mode: "number" })
      .notNull()
      .references(() => redeployPlans.id),
    seq: integer("seq").notNull(),
    pollId: text("poll_id").notNull(),
    size: integer("size").notNull(),
    status: text("status", { enum: BATCH_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: bigint("next_attempt_at", { mode: "number" }).notNull().default(0),
    startedAt: bigint("started_at", { mode: "number" }),
    finishedAt: bigint("finished_at", { mode: "number" }),
    httpStatus: integer("http_status"),
    /** Treble's answer: `id`, `batch_id`, `conversations_id` (JSON). */
    trebleId: text("treble_id"),
    trebleBatchId: text("treble_batch_id"),
    conversationIds: text("conversation_ids"),
    /** Contacts left out at send time because they got a "do not contact" failure meanwhile. */
    skipped: integer("skipped").notNull().default(0),
    message: text("message"),
  },
  (t) => [primaryKey({ columns: [t.planId, t.seq] }), index("redeploy_batches_status_idx").on(t.status, t.nextAttemptAt)],
);

/**
 * (contact, poll, reason) already re-deployed, claimed when a plan is sent: the primary key is
 * what makes "never the same contact for the same failure twice" hold across plans.
 */
export const redeployRetried = pgTable(
  "redeploy_retried",
  {
    contact: text("contact").notNull(),
    pollId: text("poll_id").notNull(),
    reason: text("reason").notNull(),
    planId: bigint("plan_id", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.contact, t.pollId, t.reason] })],
);

/** Failures received for a contact after a plan re-deployed it (linked at ingest). */
export const redeployFollowUps = pgTable(
  "redeploy_follow_ups",
  {
    failureId: bigint("failure_id", { mode: "number" }).primaryKey(),
    planId: bigint("plan_id", { mode: "number" }).notNull(),
    contact: text("contact").notNull(),
    reason: text("reason").notNull(),
    occurredAt: bigint("occurred_at", { mode: "number" }).notNull(),
  },
  (t) => [index("redeploy_follow_ups_plan_idx").on(t.planId, t.reason)],
);

// ── Alerts (lib/alerts) ──────────────────────────────────────────────────────────────────────

/** Where notifications go: a signed webhook, a Slack or Teams incoming webhook, or e-mail. */
export const alertChannels = pgTable("alert_channels", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull(),
  type: text("type", { enum: ["webhook", "slack", "teams", "email"] }).notNull(),
  /** The receiver's URL (webhook, slack, teams); null for e-mail. */
  url: text("url"),
  /** JSON array of recipient addresses (e-mail); null otherwise. */
  recipients: text("recipients"),
  /** Standard Webhooks signing secret (`whsec_…`), webhook channels only. */
  secret: text("secret"),
  /** The language its messages are written in (a supported locale). */
  locale: text("locale").notNull().default("en"),
  enabled: flag("enabled").notNull().default(sql`1`),
  /** Why the server paused it (e.g. the receiver answered 410 Gone); null when paused by a person or enabled. */
  disabledReason: text("disabled_reason"),
  lastSuccessAt: bigint("last_success_at", { mode: "number" }),
  lastErrorAt: bigint("last_error_at", { mode: "number" }),
  lastError: text("last_error"),
  /** When its current run of failed attempts began; null after a success. */
  failingSince: bigint("failing_since", { mode: "number" }),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  /** The instance sending to it now (lib/alerts/dispatcher.ts); null between turns. */
  leaseOwner: text("lease_owner"),
  /** Until when that instance holds it; between turns, when its next message may go (pacing). */
  leaseUntil: bigint("lease_until", { mode: "number" }),
});

/** What should notify whom: a trigger, a filter, its parameters (JSON) and its channels. */
export const alertRules = pgTable("alert_rules", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
  name: text("name").notNull(),
  enabled: flag("enabled").notNull().default(sql`1`),
  trigger: text("trigger").notNull(),
  /** The rule as accepted by the API (lib/alerts/rule-schema.ts), JSON. */
  definition: text("definition").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});

/**
 * The outbox: one row per notification and channel, written in the same transaction as the
 * change that caused it. `id` is the stable delivery id receivers deduplicate on.
 */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: text("id").primaryKey(),
    ruleId: bigint("rule_id", { mode: "number" }),
    channelId: bigint("channel_id", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    /** The notification (lib/alerts/notification.ts), JSON; rendered per channel when sent. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed", "held"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: bigint("next_attempt_at", { mode: "number" }).notNull(),
    /** When it was first tried; retries stop 24 h after it. */
    firstAttemptAt: bigint("first_attempt_at", { mode: "number" }),
    lastError: text("last_error"),
    /** Id of the grouped message it went out in, when it was sent grouped. */
    groupId: text("group_id"),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    deliveredAt: bigint("delivered_at", { mode: "number" }),
    /** The instance sending it now (lib/alerts/dispatcher.ts), until lease_until; null otherwise. */
    leaseOwner: text("lease_owner"),
    leaseUntil: bigint("lease_until", { mode: "number" }),
  },
  (t) => [
    index("alert_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("alert_deliveries_channel_idx").on(t.channelId, t.status, t.nextAttemptAt),
    index("alert_deliveries_created_idx").on(t.createdAt),
  ],
);

/** When a rule last notified about a scope (an incident, a template, the rule's window): repeat suppression. */
export const alertRuleState = pgTable(
  "alert_rule_state",
  {
    ruleId: bigint("rule_id", { mode: "number" }).notNull(),
    scope: text("scope").notNull(),
    lastNotifiedAt: bigint("last_notified_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.scope] })],
);
// ── Line labels ─────────────────────────────────────────────────────────────────────────────

/** A team's own name for a sending line ("Ventas CO"), keyed by the line as failures store it. */
export const lineLabels = pgTable("line_labels", {
  line: text("line").primaryKey(),
  label: text("label").notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});
