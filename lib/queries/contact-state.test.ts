import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type Database from "better-sqlite3";
import { getDb } from "@/db/client";
import { inSqliteSnapshot } from "@/db/snapshot";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { contactExportCount } from "@/lib/export/contacts";
import { parseFilters, type Filters } from "@/lib/filters";
import { clearFieldMappingCache, replaceFieldMapping } from "@/lib/ingest/field-mapping";
import { reprocessQuarantined } from "@/lib/ingest/reprocess";
import { purgeOlderThan, retentionCutoff } from "@/lib/ops/retention";
import { WEBHOOK_PATH } from "@/lib/server/webhook-listener";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, HOUR, loadFailureDataset, MINUTE } from "@/lib/testing/failure-dataset";
import { QUARTER_HOUR_MS } from "@/lib/time/zoned";
import { failureEvent } from "@/lib/testing/fixtures";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { describeCall, expectAccepted } from "@/lib/testing/webhook-client";
import { contactsFromState, OVERTAKEN_FAILURES_LIMIT, type ContactCount } from "./contact-state";
import { getStats } from "./stats";
import { startWebhookServer, type WebhookTestServer } from "@/lib/testing/webhook-server";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });

let webhooks: WebhookTestServer;
let origin = "";
beforeAll(async () => {
  webhooks = await startWebhookServer();
  origin = webhooks.origin;
});
afterAll(async () => {
  await webhooks.close();
  tempDb.cleanup();
});

async function post(events: Array<Record<string, unknown>>, quarantined = 0): Promise<void> {
  const { query, headers, body } = describeCall({ body: events }, TEST_WEBHOOK_SECRET);
  const response = await fetch(`${origin}${WEBHOOK_PATH}${query}`, { method: "POST", headers, body });
  const text = await response.text();
  expectAccepted({ status: response.status, headers: response.headers, json: JSON.parse(text) }, events.length - quarantined, 0, quarantined);
}

const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);
const sqlite = () => getDb().sqlite;

/** contactsFromState on a SQLite connection, in one snapshot. */
function countContactsFromState(db: Database.Database, filters: Filters, kind: ContactCount, from: number, to: number, overtakenLimit = OVERTAKEN_FAILURES_LIMIT): number | null {
  return inSqliteSnapshot(db, (dialect) => contactsFromState(dialect, filters, kind, from, to, overtakenLimit));
}

// ---------------------------------------------------------------------------------------------
// The reference: plain SQL over the failures table, written from the README's definitions.

const CONTACT = "coalesce(f.phone_e164, f.cellphone)";
const DNC = "('INVALID_PHONE', 'FAILURE_BY_BLOCKED_CONTACT', 'FAILURE_BY_OPTOUT_CONTACT', 'FAILURE_BY_UNABLE_TO_CONTACT', 'FAILURE_BY_EXPERIMENT_NUMBER')";
const RETRY =
  "('FAILURE', 'FAILURE_BY_HUMAN_HANDOVER', 'FAILURE_BY_RATE_LIMIT', 'COMPANY_RATE_LIMIT', 'FAILURE_BY_TIER_CAPACITY', 'FAILURE_BY_SPAM_RATE_LIMIT', " +
  "'MISSING_PARAMETER', 'PARAMETER_MISMATCH', 'INVALID_POLL', 'CHARACTER_LIMIT_HEADER', 'CHARACTER_LIMIT_BODY', 'FAILURE_BY_DISABLED_HSM')";

interface View {
  line?: string;
  template?: string;
}

function reference(kind: ContactCount, view: View, from: number, to: number): number {
  const parts = ["f.occurred_at >= ?", "f.occurred_at < ?", `${CONTACT} IS NOT NULL`];
  const params: unknown[] = [from, to];
  for (const [column, value] of [["f.line", view.line], ["f.template", view.template]] as const) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(value);
  }
  const where = parts.join(" AND ");
  const sql = {
    seen: `SELECT count(DISTINCT ${CONTACT}) FROM failures f WHERE ${where}`,
    suppress: `SELECT count(DISTINCT ${CONTACT}) FROM failures f WHERE ${where} AND f.reason IN ${DNC}`,
    retry: `SELECT count(*) FROM (
              SELECT f.reason, ${CONTACT} AS contact, row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS n
              FROM failures f WHERE ${where})
            WHERE n = 1 AND reason IN ${RETRY} AND contact NOT IN (SELECT ${CONTACT} FROM failures f WHERE f.reason IN ${DNC} AND ${CONTACT} IS NOT NULL)`,
  }[kind];
  return sqlite().prepare(sql).pluck().get(...params) as number;
}

const VIEWS: Array<[string, View]> = [
  ["no filter", {}],
  ["line", { line: DATASET_LINES[0] }],
  ["template", { template: DATASET_TEMPLATES[1] }],
  ["line + template", { line: DATASET_LINES[1], template: DATASET_TEMPLATES[0] }],
  ["unknown line", { line: "" }],
];
const filtersOf = (view: View, window: string): Filters =>
  parseFilters(
    new URLSearchParams({
      ...(view.line !== undefined ? { line: view.line || "(unknown)" } : {}),
      ...(view.template !== undefined ? { template: view.template } : {}),
      ...Object.fromEntries(new URLSearchParams(window)),
    }),
  );

/** Every view × window × count from the state, against the reference; the stats tile and the list counts too. */
function expectEqualToReference(now: number): void {
  const windows: Array<[string, number, number]> = [
    ["range=1h", now - HOUR, now],
    ["range=24h", now - DAY, now],
    ["range=7d", now - 7 * DAY, now],
    ["range=90d", now - 90 * DAY, now],
    // A custom window ending now, starting mid-hour; one within a single hour.
    [`from=${new Date(now - 13 * DAY - 17 * MINUTE).toISOString()}&to=${new Date(now).toISOString()}`, now - 13 * DAY - 17 * MINUTE, now],
    [`from=${new Date(now - 7 * MINUTE).toISOString()}&to=${new Date(now).toISOString()}`, now - 7 * MINUTE, now],
  ];
  let compared = 0;
  for (const [name, view] of VIEWS) {
    for (const [window, from, to] of windows) {
      const filters = filtersOf(view, window);
      for (const kind of ["seen", "retry", "suppress"] as const) {
        expect(countContactsFromState(sqlite(), filters, kind, from, to), `${kind} ${name} ${window}`).toBe(reference(kind, view, from, to));
        compared++;
      }
      const stats = getStats(sqlite(), filters, { now });
      expect(stats.contacts, `stats ${name} ${window}`).toBe(reference("seen", view, from, to));
      expect(stats.contactsApproximate).toBe(false);
      for (const list of ["retry", "suppress"] as const) {
        const request = { filters, window: { from, to, preset: null }, bom: false, gzip: false, count: true, at: to };
        const rows = inSqliteSnapshot(sqlite(), (dialect) => contactExportCount(dialect, { list, request }));
        expect(rows, `${list} list ${name} ${window}`).toBe(reference(list, view, from, to));
      }
    }
  }
  expect(compared).toBe(VIEWS.length * windows.length * 3);
}

/** Recomputes the quarter-hour counts from contact_state (as the migration's backfill does) and compares. */
function expectQuartersConsistent(): void {
  const stored = sqlite()
    .prepare(`SELECT scope, bucket, seen, retry, dnc FROM contact_state_quarters WHERE seen OR retry OR dnc ORDER BY scope, bucket`)
    .all();
  const backfill = backfillStatements().find((s) => s.includes("INSERT INTO `contact_state_quarters`"))!;
  sqlite().exec("CREATE TEMP TABLE expected_quarters AS SELECT * FROM contact_state_quarters WHERE 0");
  try {
    sqlite().exec(backfill.replace("INSERT INTO `contact_state_quarters`", "INSERT INTO temp.expected_quarters"));
    const expected = sqlite().prepare(`SELECT scope, bucket, seen, retry, dnc FROM temp.expected_quarters WHERE seen OR retry OR dnc ORDER BY scope, bucket`).all();
    expect(stored).toEqual(expected);
  } finally {
    sqlite().exec("DROP TABLE temp.expected_quarters");
  }
}

/**
 * The backfills that compute the state from the failures: contact_state's (its migration) and
 * the quarter-hour counts' (the migration that made them quarters).
 */
function backfillStatements(): string[] {
  const dir = path.resolve("db/migrations");
  const inserts = (suffix: string, table: string) => {
    const file = fs.readdirSync(dir).find((f) => f.endsWith(suffix))!;
    return fs
      .readFileSync(path.join(dir, file), "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.replace(/^--.*$/gm, "").trim())
      .filter((s) => s.startsWith(`INSERT INTO \`${table}\``));
  };
  return [...inserts("_contact_state.sql", "contact_state"), ...inserts("_contact_state_quarters.sql", "contact_state_quarters")];
}

describe("contacts counted from the per-contact state", () => {
  beforeAll(() => {
    loadFailureDataset({ now: NOW, seed: 11, count: 4000 });
  }, 60_000);

  it("equals plain SQL for every view, window and list", () => {
    expect(sqlite().prepare("SELECT count(*) FROM contact_state").pluck().get()).toBeGreaterThan(1000);
    expectEqualToReference(NOW);
    expectQuartersConsistent();
  });

  it("counts windows that failures overtook (stored after the read's now, or a recent past end) exactly, judging those contacts from their failures", () => {
    const latest = sqlite().prepare("SELECT max(occurred_at) FROM failures").pluck().get() as number;
    const ends = [
      latest - 2 * MINUTE, // a preset whose "now" a webhook stored while the read waited already passed
      latest, // that failure itself is outside [from, to)
      NOW - 3 * DAY - 5 * MINUTE,
      NOW - 30 * DAY + 17 * MINUTE,
    ];
    let overtakenContacts = 0;
    for (const to of ends) {
      overtakenContacts += sqlite().prepare(`SELECT count(DISTINCT ${CONTACT}) FROM failures f WHERE f.occurred_at >= ?`).pluck().get(to) as number;
      for (const [name, view] of VIEWS) {
        for (const span of [HOUR, 7 * DAY, 90 * DAY]) {
          const filters = filtersOf(view, `from=${new Date(to - span).toISOString()}&to=${new Date(to).toISOString()}`);
          for (const kind of ["seen", "retry", "suppress"] as const) {
            expect(countContactsFromState(sqlite(), filters, kind, to - span, to), `${kind} ${name} ${span} to ${to}`).toBe(reference(kind, view, to - span, to));
          }
        }
      }
    }
    // Contacts were overtaken at every end: the correction was exercised, not just the hours.
    expect(overtakenContacts).toBeGreaterThan(ends.length);
  });

  it("leaves windows with many failures after their end, and other filters, to the failures (exact there)", () => {
    const pastTo = NOW - 3 * DAY - 5 * MINUTE;
    const after = sqlite().prepare("SELECT count(*) FROM failures WHERE occurred_at >= ?").pluck().get(pastTo) as number;
    const view = { line: DATASET_LINES[0] };
    const past = filtersOf(view, `from=${new Date(pastTo - 7 * DAY).toISOString()}&to=${new Date(pastTo).toISOString()}`);
    expect(countContactsFromState(sqlite(), past, "seen", pastTo - 7 * DAY, pastTo, after - 1)).toBeNull();
    expect(countContactsFromState(sqlite(), past, "seen", pastTo - 7 * DAY, pastTo, after)).toBe(reference("seen", view, pastTo - 7 * DAY, pastTo));
    expect(getStats(sqlite(), past, { now: NOW }).contacts).toBe(reference("seen", view, pastTo - 7 * DAY, pastTo));
    for (const other of ["reason=INVALID_PHONE", "class=retry_later", "status=open", "q=300", `line=${DATASET_LINES[0]},${DATASET_LINES[1]}`]) {
      expect(countContactsFromState(sqlite(), parseFilters(new URLSearchParams(other)), "retry", NOW - DAY, NOW), other).toBeNull();
    }
  });

  it("equals what the migration's backfill computes from the failures", () => {
    const rows = () => ({
      state: sqlite().prepare("SELECT * FROM contact_state ORDER BY contact, scope").all(),
      quarters: sqlite().prepare("SELECT * FROM contact_state_quarters WHERE seen OR retry OR dnc ORDER BY scope, bucket").all(),
    });
    const atIngest = rows();
    sqlite().exec("DELETE FROM contact_state; DELETE FROM contact_state_quarters");
    for (const statement of backfillStatements()) sqlite().exec(statement);
    expect(rows()).toEqual(atIngest);
  });

  it("stays equal when contacts' latest failures move between hours through the real webhook", async () => {
    // Contacts on the retry list now, their latest failure days ago: new failures move them.
    const movers = sqlite()
      .prepare(
        `SELECT s.contact, s.last_at FROM contact_state s WHERE s.scope = '[null,null]' AND s.last_dnc_at IS NULL AND s.last_reason = 'FAILURE_BY_RATE_LIMIT'
         AND s.contact LIKE '+57%' AND s.last_at BETWEEN ? AND ? ORDER BY s.last_at LIMIT 6`,
      )
      .all(NOW - 30 * DAY, NOW - 2 * DAY) as Array<{ contact: string; last_at: number }>;
    expect(movers).toHaveLength(6);
    const cellphone = (contact: string) => contact.slice(3);
    const later = NOW + 2 * HOUR + 11 * MINUTE;
    const at = (t: number) => new Date(t).toISOString();
    const before = reference("retry", {}, later - 90 * DAY, later);
    await post([
      // Latest moves to a recent hour, still "retry later", on another line and template.
      failureEvent({ timestamp: at(later - 30 * MINUTE), failure_reason: "FAILURE", line: DATASET_LINES[2], hsm: { name: DATASET_TEMPLATES[3] }, user: { country_code: "57", cellphone: cellphone(movers[0]!.contact) } }),
      // A "do not contact" failure: off the retry list in every scope, onto the suppression list.
      failureEvent({ timestamp: at(later - 2 * HOUR), failure_reason: "FAILURE_BY_OPTOUT_CONTACT", line: DATASET_LINES[0], hsm: { name: DATASET_TEMPLATES[1] }, user: { country_code: "57", cellphone: cellphone(movers[1]!.contact) } }),
      // An older failure than the contact's latest: its latest does not move.
      failureEvent({ timestamp: at(movers[2]!.last_at - 3 * DAY), failure_reason: "REVOKED", user: { country_code: "57", cellphone: cellphone(movers[2]!.contact) } }),
      // Same instant as the latest: the later stored one wins, as the lists order them.
      failureEvent({ timestamp: at(movers[3]!.last_at), failure_reason: "REVOKED", line: DATASET_LINES[1], hsm: { name: DATASET_TEMPLATES[0] }, user: { country_code: "57", cellphone: cellphone(movers[3]!.contact) } }),
      // Into the current, partial hour.
      failureEvent({ timestamp: at(later - 3 * MINUTE), failure_reason: "MISSING_PARAMETER", line: DATASET_LINES[1], hsm: { name: DATASET_TEMPLATES[0] }, user: { country_code: "57", cellphone: cellphone(movers[4]!.contact) } }),
    ]);
    // Then in a second commit: the first mover fails again, an hour later than before.
    await post([
      failureEvent({ timestamp: at(later - 1 * MINUTE), failure_reason: "FAILURE_BY_TIER_CAPACITY", line: DATASET_LINES[2], hsm: { name: DATASET_TEMPLATES[3] }, user: { country_code: "57", cellphone: cellphone(movers[0]!.contact) } }),
      failureEvent({ timestamp: at(later - 5 * HOUR), failure_reason: "FAILURE_BY_SPAM_RATE_LIMIT", user: { country_code: "57", cellphone: cellphone(movers[5]!.contact) } }),
    ]);
    // The moves changed the answers (so the comparison below is not of unchanged counts).
    expect(reference("retry", {}, later - 90 * DAY, later)).not.toBe(before);
    expectEqualToReference(later);
    expectQuartersConsistent();
  });

  it("stays equal after quarantined events are re-processed (older and newer than contacts' latest)", async () => {
    const later = NOW + 2 * HOUR + 11 * MINUTE;
    const contact = sqlite()
      .prepare(`SELECT contact, last_at FROM contact_state WHERE scope = '[null,null]' AND last_at < ? AND contact LIKE '+57%' ORDER BY last_at DESC LIMIT 1`)
      .get(later - DAY) as { contact: string; last_at: number };
    const unmapped = (t: number, status: string) => {
      const event = failureEvent({ timestamp: new Date(t).toISOString(), status, user: { country_code: "57", cellphone: contact.contact.slice(3) } });
      delete event.failure_reason;
      return event;
    };
    // The reason arrives under a field nobody mapped yet: quarantined, counted nowhere.
    await post([unmapped(later - 40 * MINUTE, "FAILURE_BY_BLOCKED_CONTACT"), unmapped(contact.last_at - DAY, "FAILURE")], 2);
    expectEqualToReference(later);
    await replaceFieldMapping({ reason: ["status"] }, { actor: SYSTEM_ACTOR, ip: null });
    clearFieldMappingCache();
    expect(await reprocessQuarantined({ scope: "quarantined" }, { actor: SYSTEM_ACTOR, ip: null })).toMatchObject({ accepted: 2 });
    expect(sqlite().prepare("SELECT last_dnc_at FROM contact_state WHERE contact = ? AND scope = '[null,null]'").pluck().get(contact.contact)).toBe(later - 40 * MINUTE);
    expectEqualToReference(later);
    expectQuartersConsistent();
  });

  it("stays equal after a retention purge (contacts leave; a purged 'do not contact' no longer suppresses)", async () => {
    const later = NOW + 2 * HOUR + 11 * MINUTE;
    const cutoff = retentionCutoff(later, 20);
    // A contact whose only "do not contact" failure is purged while a recent retry failure stays.
    await post([
      failureEvent({ timestamp: new Date(cutoff - 2 * DAY).toISOString(), failure_reason: "INVALID_PHONE", user: { country_code: "57", cellphone: "3209990001" } }),
      failureEvent({ timestamp: new Date(later - 10 * MINUTE).toISOString(), failure_reason: "FAILURE", user: { country_code: "57", cellphone: "3209990001" } }),
    ]);
    const everDoNotContact = () =>
      sqlite().prepare(`SELECT count(*) FROM failures f WHERE ${CONTACT} = '+573209990001' AND f.reason IN ${DNC}`).pluck().get() as number;
    expect(everDoNotContact()).toBe(1);
    const retryBefore = reference("retry", {}, later - DAY, later);
    await purgeOlderThan(cutoff, 397);
    expect(sqlite().prepare("SELECT count(*) FROM failures WHERE occurred_at < ?").pluck().get(cutoff)).toBe(0);
    expect(sqlite().prepare("SELECT count(*) FROM contact_state WHERE last_at < ? OR last_dnc_at < ?").pluck().get(cutoff, cutoff)).toBe(0);
    expect(everDoNotContact()).toBe(0);
    expect(reference("retry", {}, later - DAY, later)).toBeGreaterThan(retryBefore);
    expectEqualToReference(later);
    expectQuartersConsistent();
    // A day of buckets per purge statement, with a turn of the event loop between: slow on a busy machine.
  }, 60_000);

  it("stays equal for a window starting in a quarter hour a purge cut (its count no longer holds it)", async () => {
    // Last: production cutoffs fall on midnights; this one drops a quarter whose later contacts stay.
    const later = NOW + 2 * HOUR + 11 * MINUTE;
    const late = sqlite()
      .prepare("SELECT occurred_at FROM failures WHERE occurred_at >= ? AND occurred_at % ? > ? ORDER BY occurred_at LIMIT 1")
      .pluck()
      .get(retentionCutoff(later, 19), QUARTER_HOUR_MS, 5 * MINUTE) as number;
    const quarter = late - (late % QUARTER_HOUR_MS);
    // Contacts whose latest failure (and "do not contact" failure) lies in that quarter, after the cut.
    await post([
      failureEvent({ timestamp: new Date(quarter + 9 * MINUTE).toISOString(), failure_reason: "FAILURE", user: { country_code: "57", cellphone: "3209990077" } }),
      failureEvent({ timestamp: new Date(quarter + 9 * MINUTE).toISOString(), failure_reason: "INVALID_PHONE", user: { country_code: "57", cellphone: "3209990078" } }),
    ]);
    await purgeOlderThan(quarter + 3 * MINUTE, 397);
    const from = quarter + 2 * MINUTE;
    for (const [name, view] of VIEWS) {
      for (const kind of ["seen", "retry", "suppress"] as const) {
        const expected = reference(kind, view, from, later);
        if (name === "no filter") expect(expected, `${kind}: the window holds contacts`).toBeGreaterThan(0);
        expect(countContactsFromState(sqlite(), filtersOf(view, `from=${new Date(from).toISOString()}&to=${new Date(later).toISOString()}`), kind, from, later), `${kind} ${name}`).toBe(expected);
      }
    }
  }, 60_000);
});
