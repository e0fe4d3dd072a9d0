import { sql } from "drizzle-orm";
import { INCIDENT_STATUSES } from "../lib/incidents/statuses";
import { ROLES } from "../lib/auth/roles";
import { BATCH_STATUSES, PLAN_STATUSES } from "../lib/redeploy/states";
import { gramColumn, LACKING_COLUMNS, PHONE_GRAMS } from "../lib/phone-grams";
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Every accepted webhook event, verbatim. This is the source of truth: failure rows and template
 * status rows are derived from it and can be rebuilt by re-processing `payload`.
 * Times are UTC epoch milliseconds.
 */
export const rawEvents = sqliteTable(
  "raw_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /**
     * `event_id` exactly as sent, or `sha256:` + the SHA-256 (hex) of the raw event when the sender
     * gave none, in the compact tagged form of lib/ingest/compact-values.ts (a BLOB in this TEXT
     * column). (No separate event_id column: it would repeat this, and the payload keeps it too.)
     */
    dedupeKey: text("dedupe_key").notNull(),
    /**
     * `event_type` as sent; "" once accepted as a failure (its failures row says what it was, and
     * deflate cannot share 18 bytes a row). Kept for quarantined events (their list shows it), for
     * the few `hsm.status` and `session.close` events and for types of no row of their own.
     */
    eventType: text("event_type").notNull(),
    /** Event time from the payload; equals `receivedAt` when the payload had no timestamp. */
    occurredAt: integer("occurred_at").notNull(),
    /** True when the payload carried no timestamp and `occurredAt` is the receipt time. */
    occurredAtFromReceipt: integer("occurred_at_from_receipt", { mode: "boolean" }).notNull().default(false),
    receivedAt: integer("received_at").notNull(),
    /**
     * The event's JSON text exactly as received (one element of a batch, byte for byte), stored as
     * `payloadCodec` says: deflated (a BLOB; SQLite keeps BLOBs as they are in a TEXT column) or
     * as text. Read it through lib/ingest/payload-codec.ts.
     */
    payload: text("payload").notNull(),
    /** How `payload` is stored (lib/ingest/payload-codec.ts); 0 = text as is. */
    payloadCodec: integer("payload_codec").notNull().default(0),
    /**
     * The event time the sender gave when it lay more than 10 minutes after receipt (clock skew):
     * `occurredAt` is then the receipt time. Null otherwise.
     */
    sentOccurredAt: integer("sent_occurred_at"),
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
export const failures = sqliteTable(
  "failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rawEventId: integer("raw_event_id")
      .notNull()
      .references(() => rawEvents.id),
    occurredAt: integer("occurred_at").notNull(),
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
    /**
     * JSON text of `user_session_keys` exactly as given (array or object), or null; stored deflated
     * (a BLOB in this TEXT column) as lib/ingest/compact-values.ts says.
     */
    userSessionKeys: text("user_session_keys"),
    /** The incident of this failure's (reason, line, template). */
    incidentId: integer("incident_id")
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
    // incident_id too: a phone search's counts group by incident (its reason, line and template)
    // and time, index-only (lib/queries/counts.ts wholeWindow), not a table lookup per failure.
    index("failures_phone_idx").on(t.phoneE164, t.occurredAt, t.incidentId),
    index("failures_incident_idx").on(t.incidentId, t.occurredAt),
    // Phone search (lib/queries/failure-filter.ts) finds contacts without an E.164 number by cellphone.
    index("failures_cellphone_idx").on(t.cellphone, t.occurredAt, t.incidentId).where(sql`${t.phoneE164} IS NULL`),
  ],
);

/**
 * Every distinct (E.164, cellphone) pair failures carry ("" = none), added at ingest: what phone
 * search looks digits up in, through the trigram index `contact_phones_fts` (FTS5, external
 * content, created in migration fast_filters), instead of LIKE over every failure of the window.
 */
export const contactPhones = sqliteTable(
  "contact_phones",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    phoneE164: text("phone_e164").notNull(),
    cellphone: text("cellphone").notNull(),
  },
  (t) => [uniqueIndex("contact_phones_pair_idx").on(t.phoneE164, t.cellphone)],
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
    // ── Lifecycle (lib/incidents): snooze, assignment, escalation ──
    /** While snoozed: wakes at this time (null = not by time). */
    snoozeUntil: integer("snooze_until"),
    /** While snoozed: wakes when this many more failures have arrived (null = not by count). */
    snoozeFailuresLeft: integer("snooze_failures_left"),
    /** While snoozed: wakes when it starts escalating. */
    snoozeUntilEscalating: integer("snooze_until_escalating", { mode: "boolean" }).notNull().default(false),
    assigneeId: text("assignee_id").references(() => users.id),
    /** Its current hour's failures are far above its usual rate (lib/incidents/escalation.ts). */
    escalating: integer("escalating", { mode: "boolean" }).notNull().default(false),
    escalatingSince: integer("escalating_since"),
    /** The latest hour (UTC start) whose failures exceeded the threshold; clears an hour after. */
    escalatingHour: integer("escalating_hour"),
    /** The hour (UTC start, event time) that hourFailures and hourThreshold are about. */
    hourBucket: integer("hour_bucket"),
    hourFailures: integer("hour_failures").notNull().default(0),
    /** Failures in hourBucket must exceed this (and reach 20) to escalate; null = cannot escalate this hour. */
    hourThreshold: real("hour_threshold"),
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
 * escalation compares the current hour against. Only the last 8 days are kept. WITHOUT ROWID (in
 * the migration), like the rollups.
 */
export const incidentHours = sqliteTable(
  "incident_hours",
  {
    incidentId: integer("incident_id")
      .notNull()
      .references(() => incidents.id),
    bucket: integer("bucket").notNull(),
    failures: integer("failures").notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.bucket] }), index("incident_hours_bucket_idx").on(t.bucket)],
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

/** What happened to an incident: people's actions and comments, and the server's own transitions (actor null). */
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
 * table for whole hours/days. Unknown line/template are "". Buckets are UTC starts (ms).
 * Mostly two-dimensional (reason × line, reason × template) per hour and day; the reason × line
 * × template cube per hour and day serves only filters that combine a line with a template (read
 * through its (line, template, bucket) index) or an incident status (through its incident_id).
 * - rollup_hour_reason, rollup_day_reason: hours / days × reasons; timelines.
 * - rollup_{hour,day}_line / _template: totals and breakdowns under reason/line/template filters.
 * - rollup_hour, rollup_day: the reason × line × template cube per hour and per day.
 * All WITHOUT ROWID (in the migrations): a row is stored once, in its key's order.
 */
const rollupTable = <Dims extends Record<string, ReturnType<typeof text>>>(name: string, dims: Dims, keyIndex?: string) =>
  sqliteTable(
    name,
    { bucket: integer("bucket").notNull(), reason: text("reason").notNull(), ...dims, failures: integer("failures").notNull() },
    (t) => {
      const dimColumns = Object.keys(dims).map((k) => (t as unknown as Record<string, never>)[k]!);
      const [key] = dimColumns;
      return [primaryKey({ columns: [t.bucket, t.reason, ...dimColumns] }), ...(keyIndex && key ? [index(keyIndex).on(key, t.bucket, t.failures)] : [])];
    },
  );

export const rollupHourReason = rollupTable("rollup_hour_reason", {});
/** Quarter hours × reasons: local hours and days of zones whose offset is not whole hours (Asia/Kolkata, Asia/Kathmandu). */
export const rollupQuarterReason = rollupTable("rollup_quarter_reason", {});
/** Days × reasons: long day-bucketed timelines read days, plus a few hours to shift to local days. */
export const rollupDayReason = rollupTable("rollup_day_reason", {});
export const rollupHourLine = rollupTable("rollup_hour_line", { line: text("line").notNull() });
export const rollupHourTemplate = rollupTable("rollup_hour_template", { template: text("template").notNull() });
/**
 * Days × reasons × lines / templates. The key indexes (key, bucket, failures) let SQLite, which has
 * no hash aggregate, total a long window per line or template in key order instead of sorting the
 * window's rows (90 days at 10M: 14.5k template rows, 7.2 → 3.1 ms), by a scan of the index or a
 * skip-scan per key, as the tables' statistics make cheaper (PRAGMA optimize keeps them current).
 */
export const rollupDayLine = rollupTable("rollup_day_line", { line: text("line").notNull() }, "rollup_day_line_key_idx");
export const rollupDayTemplate = rollupTable("rollup_day_template", { template: text("template").notNull() }, "rollup_day_template_key_idx");
/**
 * The cube's columns. A (reason, line, template) has one incident at a time (incidents_key_idx):
 * its id, kept on the row at ingest, lets a status filter test each row against the ids of its
 * incidents (one integer set, built once) instead of looking the row's incident up by its three
 * texts. Rows whose incident retention has purged (all before its cutoff, and deleted next) keep
 * its id, or null where the migration found no incident: under no status, as their failures are.
 */
const cubeColumns = () => ({
  bucket: integer("bucket").notNull(),
  reason: text("reason").notNull(),
  line: text("line").notNull(),
  template: text("template").notNull(),
  failures: integer("failures").notNull(),
  incidentId: integer("incident_id"),
});
/** The hourly cube is read by line and template first: a line + template filter reads its own rows. */
export const rollupHour = sqliteTable("rollup_hour", cubeColumns(), (t) => [
  primaryKey({ columns: [t.bucket, t.reason, t.line, t.template] }),
  index("rollup_hour_scope_idx").on(t.line, t.template, t.bucket),
]);
export const rollupDay = sqliteTable("rollup_day", cubeColumns(), (t) => [primaryKey({ columns: [t.bucket, t.reason, t.line, t.template] })]);

/**
 * Phone-gram rollups (lib/phone-grams.ts): the rollups above again, with a failures counter per
 * one- or two-digit gram instead of one `failures` column, so a one- or two-digit phone search
 * is counted like any other filter. Zero counters cost no bytes in a SQLite record. Maintained at
 * ingest in the same transaction (one upsert per row a group commit touches), so only the six
 * that matter: no cube (line + template or status read their incidents' rows) and no quarter
 * hours (half-hour zones read those quarters raw). WITHOUT ROWID (in the migrations).
 */
const phoneGramTable = <Dims extends Record<string, ReturnType<typeof text>>>(name: string, dims: Dims) =>
  sqliteTable(
    name,
    {
      bucket: integer("bucket").notNull(),
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

export const contactSketchHour = sqliteTable(
  "contact_sketch_hour",
  { bucket: integer("bucket").notNull(), reason: text("reason").notNull(), registers: blob("registers", { mode: "buffer" }).notNull() },
  (t) => [primaryKey({ columns: [t.bucket, t.reason] })],
);
export const contactSketchDay = sqliteTable(
  "contact_sketch_day",
  { bucket: integer("bucket").notNull(), reason: text("reason").notNull(), registers: blob("registers", { mode: "buffer" }).notNull() },
  (t) => [primaryKey({ columns: [t.bucket, t.reason] })],
);
/**
 * Per-contact latest state, kept at ingest (lib/ingest/contact-state.ts) so contact counts and
 * the retry/suppression list counts read hourly rows, not the window's failures. One row per
 * contact (E.164, else the cellphone as sent) and scope (`[line, template]` as JSON, null = any:
 * everything, the line, the template, the line × template): its latest failure there (time and
 * reason) and its latest "do not contact" failure there. WITHOUT ROWID (in the migration).
 */
export const contactState = sqliteTable(
  "contact_state",
  {
    contact: text("contact").notNull(),
    scope: text("scope").notNull(),
    lastAt: integer("last_at").notNull(),
    lastReason: text("last_reason").notNull(),
    lastDncAt: integer("last_dnc_at"),
  },
  (t) => [primaryKey({ columns: [t.contact, t.scope] })],
);
/**
 * Per scope and quarter hour (UTC start): contacts whose latest failure is in that quarter
 * (`seen`), those of them on the retry list (`retry`), and contacts whose latest "do not contact"
 * failure is in that quarter (`dnc`). A contact moving to a later quarter leaves the earlier one.
 * Quarters, not hours: a window's partial quarters at its edges are judged contact by contact.
 * WITHOUT ROWID.
 */
export const contactStateQuarters = sqliteTable(
  "contact_state_quarters",
  {
    scope: text("scope").notNull(),
    bucket: integer("bucket").notNull(),
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
export const contactLackingQuarters = sqliteTable("contact_lacking_quarters", {
  bucket: integer("bucket").primaryKey(),
  ...(Object.fromEntries(LACKING_COLUMNS.map((c) => [c, integer(c).notNull().default(0)])) as Record<string, ReturnType<typeof integer>>),
});
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
export const closedSessions = sqliteTable(
  "closed_sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rawEventId: integer("raw_event_id")
      .notNull()
      .references(() => rawEvents.id),
    /** `session.external_id`; null when absent. */
    externalId: text("external_id"),
    /** `session.closed_at`, else the event time (UTC ms, never after receipt + 10 min). */
    closedAt: integer("closed_at").notNull(),
    receivedAt: integer("received_at").notNull(),
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
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at")
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
});

// ── Accounts and access ─────────────────────────────────────────────────────────────────────
// users, sessions, accounts and verifications are better-auth's tables (drizzle adapter, plural
// model names). Property names are better-auth's field names; its Date fields are stored as UTC
// epoch milliseconds like every other time here.

const epochMsNow = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Stored lower-case (better-auth looks users up by the lower-cased address). */
  email: text("email").notNull().unique(),
  emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
  image: text("image"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(epochMsNow),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .default(epochMsNow)
    .$onUpdate(() => new Date()),
  role: text("role", { enum: ROLES }).notNull().default("viewer"),
  /** A disabled user cannot sign in, has no sessions, and their API tokens are refused. */
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
  /** The interface language the user chose ("en" | "es" | "pt-BR"); null follows cookie / browser. */
  locale: text("locale"),
});

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    token: text("token").notNull().unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(epochMsNow),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" })
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
export const accounts = sqliteTable(
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
    accessTokenExpiresAt: integer("access_token_expires_at", { mode: "timestamp_ms" }),
    refreshTokenExpiresAt: integer("refresh_token_expires_at", { mode: "timestamp_ms" }),
    scope: text("scope"),
    password: text("password"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(epochMsNow),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" })
      .notNull()
      .$onUpdate(() => new Date()),
  },
  (t) => [index("accounts_user_id_idx").on(t.userId)],
);

export const verifications = sqliteTable(
  "verifications",
  {
    id: text("id").primaryKey(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(epochMsNow),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" })
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
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
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
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_tokens_user_id_idx").on(t.userId)],
);

/**
 * Who did what, when and from where: sign-ins, failed sign-ins, lockouts, user and role changes,
 * token creation/revocation, webhook secret rotation. Rows are only ever added.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
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
export const signInThrottle = sqliteTable("sign_in_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  windowStart: integer("window_start").notNull(),
  lockedUntil: integer("locked_until"),
});

// ── Re-deployment plans (lib/redeploy) ──────────────────────────────────────────────────────

/** A retry plan: who would be re-deployed (the dry run), then its execution. Times UTC ms. */
export const redeployPlans = sqliteTable(
  "redeploy_plans",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
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
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by"),
    sentAt: integer("sent_at"),
    sentBy: text("sent_by"),
    finishedAt: integer("finished_at"),
    /** Why the plan failed or paused by itself. */
    error: text("error"),
    updatedAt: integer("updated_at").notNull(),
    /** The instance sending the plan now (lib/redeploy/worker.ts); null between its turns. */
    leaseOwner: text("lease_owner"),
    /** Until when that instance holds it unless it renews the lease. */
    leaseUntil: integer("lease_until"),
  },
  (t) => [index("redeploy_plans_status_idx").on(t.status)],
);

/** The contacts of a plan, each with what will be sent for it. `batchSeq` null: no poll_id. */
export const redeployContacts = sqliteTable(
  "redeploy_contacts",
  {
    planId: integer("plan_id")
      .notNull()
      .references(() => redeployPlans.id),
    /** E.164 phone, else the cellphone as sent (the identity contact lists use). */
    contact: text("contact").notNull(),
    failureId: integer("failure_id").notNull(),
    reason: text("reason").notNull(),
    pollId: text("poll_id"),
    countryCode: text("country_code").notNull(),
    cellphone: text("cellphone").notNull(),
    /** The line it will be sent from (`+<digits>`), "" when unknown. */
    line: text("line").notNull(),
    /** user_session_keys to send (JSON array of {key, value}). */
    sessionKeys: text("session_keys").notNull(),
    /** deployment_eta (unix seconds) or null for "as soon as possible". */
    eta: integer("eta"),
    batchSeq: integer("batch_seq"),
    /** When its batch was accepted by Treble. */
    sentAt: integer("sent_at"),
  },
  (t) => [primaryKey({ columns: [t.planId, t.contact] }), index("redeploy_contacts_contact_idx").on(t.contact, t.sentAt)],
);

/** The calls of a plan: at most 500 contacts of one poll each, recorded before and after the call. */
export const redeployBatches = sqliteTable(
  "redeploy_batches",
  {
    planId: integer("plan_id")
      .notNull()
      .references(() => redeployPlans.id),
    seq: integer("seq").notNull(),
    pollId: text("poll_id").notNull(),
    size: integer("size").notNull(),
    status: text("status", { enum: BATCH_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull().default(0),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
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
export const redeployRetried = sqliteTable(
  "redeploy_retried",
  {
    contact: text("contact").notNull(),
    pollId: text("poll_id").notNull(),
    reason: text("reason").notNull(),
    planId: integer("plan_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.contact, t.pollId, t.reason] })],
);

/** Failures received for a contact after a plan re-deployed it (linked at ingest). */
export const redeployFollowUps = sqliteTable(
  "redeploy_follow_ups",
  {
    failureId: integer("failure_id").primaryKey(),
    planId: integer("plan_id").notNull(),
    contact: text("contact").notNull(),
    reason: text("reason").notNull(),
    occurredAt: integer("occurred_at").notNull(),
  },
  (t) => [index("redeploy_follow_ups_plan_idx").on(t.planId, t.reason)],
);

// ── Alerts (lib/alerts) ──────────────────────────────────────────────────────────────────────

/** Where notifications go: a signed webhook, a Slack or Teams incoming webhook, or e-mail. */
export const alertChannels = sqliteTable("alert_channels", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  type: text("type", { enum: ["webhook", "slack", "teams", "email"] }).notNull(),
  /** The receiver's URL (webhook, slack, teams); null for e-mail. */
  url: text("url"),
  /** JSON array of recipient addresses (e-mail); null otherwise. */
  recipients: text("recipients"),
  /** Standard Webhooks signing secret (`whsec_…`), webhook channels only. */
  secret: text("secret"),
  /** The language its messages are written in (lib/i18n/locales.ts). */
  locale: text("locale").notNull().default("en"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** Why the server paused it (e.g. the receiver answered 410 Gone); null when paused by a person or enabled. */
  disabledReason: text("disabled_reason"),
  lastSuccessAt: integer("last_success_at"),
  lastErrorAt: integer("last_error_at"),
  lastError: text("last_error"),
  /** When its current run of failed attempts began; null after a success. */
  failingSince: integer("failing_since"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** The instance sending to it now (lib/alerts/dispatcher.ts); null between turns. */
  leaseOwner: text("lease_owner"),
  /** Until when that instance holds it; between turns, when its next message may go (pacing). */
  leaseUntil: integer("lease_until"),
});

/** What should notify whom: a trigger, a filter, its parameters (JSON) and its channels. */
export const alertRules = sqliteTable("alert_rules", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  trigger: text("trigger").notNull(),
  /** The rule as accepted by the API (lib/alerts/rule-schema.ts), JSON. */
  definition: text("definition").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * The outbox: one row per notification and channel, written in the same transaction as the
 * change that caused it. `id` is the stable delivery id receivers deduplicate on.
 */
export const alertDeliveries = sqliteTable(
  "alert_deliveries",
  {
    id: text("id").primaryKey(),
    ruleId: integer("rule_id"),
    channelId: integer("channel_id").notNull(),
    type: text("type").notNull(),
    /** The notification (lib/alerts/notification.ts), JSON; rendered per channel when sent. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed", "held"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    /** When it was first tried; retries stop 24 h after it. */
    firstAttemptAt: integer("first_attempt_at"),
    lastError: text("last_error"),
    /** Id of the grouped message it went out in, when it was sent grouped. */
    groupId: text("group_id"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
    /** The instance sending it now (lib/alerts/dispatcher.ts), until lease_until; null otherwise. */
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until"),
  },
  (t) => [
    index("alert_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("alert_deliveries_channel_idx").on(t.channelId, t.status, t.nextAttemptAt),
    index("alert_deliveries_created_idx").on(t.createdAt),
  ],
);

/** When a rule last notified about a scope (an incident, a template, the rule's window): repeat suppression. */
export const alertRuleState = sqliteTable(
  "alert_rule_state",
  {
    ruleId: integer("rule_id").notNull(),
    scope: text("scope").notNull(),
    lastNotifiedAt: integer("last_notified_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.scope] })],
);
// ── Line labels ─────────────────────────────────────────────────────────────────────────────

/** A team's own name for a sending line ("Ventas CO"), keyed by the line as failures store it. */
export const lineLabels = sqliteTable("line_labels", {
  line: text("line").primaryKey(),
  label: text("label").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
