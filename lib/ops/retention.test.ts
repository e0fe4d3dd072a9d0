import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import type { Engine, Param } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import { CONTACT_LOCK_SPACE, contactScope, EVERY_SCOPE } from "@/lib/ingest/contact-state";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import type { PreparedEvent } from "@/lib/ingest/store";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearDataTables } from "@/lib/testing/temp-db";
import { purgeOlderThan, retentionCutoff, retentionSql } from "./retention";
import { holdLock } from "@/lib/testing/hold-lock";

const databases = setupEngineDatabases({ LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 15, 30);
const CUTOFF = retentionCutoff(NOW, 30);
const TEMPLATE = "welcome_v2";

const prepared = (event: Record<string, unknown>) => prepareEvent(event, JSON.stringify(event), NOW);

/**
 * Failures (and one hsm.status, one session.close, one quarantined event, one of a type nothing is
 * derived from) occurring `daysAgo` days before NOW, a few hours apart.
 */
function day(daysAgo: number, count: number, line: string): PreparedEvent[] {
  const at = new Date(NOW - daysAgo * DAY).toISOString();
  const events = Array.from({ length: count }, (_, i) =>
    prepared(
      failureEvent({
        timestamp: new Date(NOW - daysAgo * DAY - i * HOUR).toISOString(),
        line,
        user: { country_code: "57", cellphone: String(3_100_000_000 + daysAgo * 1000 + i) },
      }),
    ),
  );
  events.push(prepared({ event_type: "hsm.status", event_id: `status-${daysAgo}-${line}`, timestamp: at, hsm: { name: TEMPLATE }, status: "APPROVED" }));
  events.push(prepared({ event_type: "session.close", event_id: `session-${daysAgo}-${line}`, timestamp: at, company: { cellphone: line } }));
  events.push(prepared({ event_type: "deployment.failure", event_id: `quarantined-${daysAgo}-${line}`, timestamp: at }));
  events.push(prepared({ event_type: "contact.opted_in", event_id: `other-${daysAgo}-${line}`, timestamp: at }));
  return events;
}

/** One failure of the contact +57<cellphone> on `line` at `at`. */
const failureOf = (cellphone: string, line: string, at: number, reason: string) =>
  prepared(failureEvent({ timestamp: new Date(at).toISOString(), line, failure_reason: reason, user: { country_code: "57", cellphone } }));

describe.each(ENGINES)("retention on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(() => clearDataTables(engine));

  const store = async (events: PreparedEvent[]) => {
    await commitEventsTo(engine, events);
  };
  const count = async (sql: string, params: Param[] = []) => (await engine.one<{ n: number }>(sql, params))!.n;

  it("aligns the cutoff to a UTC day start", () => {
    expect(CUTOFF).toBe(Date.UTC(2026, 9, 26));
    expect(retentionCutoff(Date.UTC(2026, 10, 25), 1)).toBe(Date.UTC(2026, 10, 24));
  });

  it("purges old rows in small batches and keeps the rollups and contact states equal to the retained rows", async () => {
    await store(day(40, 30, "+573000000040")); // purged
    await store(day(31, 25, "+573000000031")); // purged: before the cutoff's day
    await store(day(29, 20, "+573000000029")); // kept
    await store(day(0, 5, "+573000000000")); // kept
    // A contact whose "do not contact" failure is purged while a later retry failure stays.
    await store([failureOf("3209990001", "+573000000031", NOW - 35 * DAY, "INVALID_PHONE"), failureOf("3209990001", "+573000000000", NOW - HOUR, "FAILURE")]);
    // An incident entirely in the purged range that was resolved goes; the others stay.
    await engine.exec("UPDATE incidents SET status = 'resolved' WHERE line_key = '+573000000040'");

    const result = await purgeOlderThan(CUTOFF, 7);
    expect(result).toMatchObject({ rawEvents: 64, failures: 56, templateStatus: 2, closedSessions: 2, incidents: 1 });
    expect(await count("SELECT count(*) AS n FROM raw_events WHERE occurred_at < ?", [CUTOFF])).toBe(0);
    expect(await count("SELECT count(*) AS n FROM raw_events WHERE event_type = 'contact.opted_in'")).toBe(2);
    expect(await count("SELECT count(*) AS n FROM failures")).toBe(26);
    expect(await count("SELECT count(*) AS n FROM template_status_events")).toBe(2);
    expect(await count("SELECT count(*) AS n FROM closed_sessions")).toBe(2);
    expect(await count("SELECT count(*) AS n FROM raw_events WHERE problems IS NOT NULL")).toBe(2);
    for (const table of ["rollup_hour_reason", "rollup_hour_line", "rollup_hour_template", "rollup_day_line", "rollup_day_template", "rollup_hour", "rollup_day"]) {
      expect(await count(`SELECT coalesce(sum(failures), 0) AS n FROM ${table}`), table).toBe(26);
      expect(await count(`SELECT count(*) AS n FROM ${table} WHERE bucket < ?`, [CUTOFF]), table).toBe(0);
    }
    expect(await count("SELECT count(*) AS n FROM contact_sketch_day WHERE bucket < ?", [CUTOFF])).toBe(0);
    expect(await count("SELECT count(*) AS n FROM contact_sketch_day")).toBeGreaterThan(0);
    // Per-contact state: only the retained failures' contacts, each seen once, none suppressed by a purged failure.
    expect(await count("SELECT count(*) AS n FROM contact_state WHERE last_at < ? OR last_dnc_at < ?", [CUTOFF, CUTOFF])).toBe(0);
    const contacts = await count("SELECT count(DISTINCT coalesce(phone_e164, cellphone)) AS n FROM failures");
    expect(contacts).toBe(26);
    expect(await count("SELECT count(*) AS n FROM contact_state WHERE scope = ?", [EVERY_SCOPE])).toBe(contacts);
    expect(await engine.one("SELECT sum(seen) AS seen, sum(retry) AS retry, sum(dnc) AS dnc FROM contact_state_quarters WHERE scope = ?", [EVERY_SCOPE])).toEqual({
      seen: contacts,
      retry: contacts,
      dnc: 0,
    });
    expect(await count("SELECT count(*) AS n FROM contact_state_quarters WHERE bucket < ?", [CUTOFF])).toBe(0);
    // The resolved incident is gone with its contacts; the open one keeps its lifetime counters.
    expect(await count("SELECT count(*) AS n FROM incidents WHERE line_key = '+573000000040'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM incident_contacts WHERE incident_id NOT IN (SELECT id FROM incidents)")).toBe(0);
    expect(await count("SELECT failures AS n FROM incidents WHERE line_key = '+573000000031' AND reason = 'FAILURE_BY_TIER_CAPACITY'")).toBe(25);
    // PostgreSQL enforces the foreign keys on every delete; SQLite is asked.
    if (name === "sqlite") expect(getDb().sqlite.pragma("foreign_key_check")).toEqual([]);

    // Idempotent: a second run finds nothing.
    expect(await purgeOlderThan(CUTOFF)).toEqual({ rawEvents: 0, failures: 0, templateStatus: 0, closedSessions: 0, buckets: 0, incidents: 0 });
  });

  it("finds every old raw event: a failure's through the failures, any other through its partial index", async () => {
    if (name === "sqlite") {
      // SQLite's plan is fixed by the schema (PostgreSQL's follows its statistics): never a scan.
      const planOf = (statement: string) =>
        (getDb().sqlite.prepare(`EXPLAIN QUERY PLAN ${statement}`).all(CUTOFF, 10) as Array<{ detail: string }>).map((row) => row.detail);
      const sql = retentionSql(engine.dialect);
      expect(planOf(sql.oldFailureEvents)).toEqual(["SEARCH failures USING INDEX failures_occurred_at_idx (occurred_at<?)"]);
      expect(planOf(sql.oldOtherEvents)).toEqual(["SEARCH raw_events USING INDEX raw_events_not_failure_occurred_at_idx (occurred_at<?)"]);
    }
    // A raw event outside that index is a failure's: the only raw events stored with type "" (a
    // blank type is no type: quarantined here, as it names no reason).
    await store([...day(40, 3, "+573000000040"), prepared({ event_type: " ", event_id: "blank-type", timestamp: new Date(NOW - 40 * DAY).toISOString() })]);
    expect(
      await count("SELECT count(*) AS n FROM raw_events r WHERE event_type = '' AND problems IS NULL AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.raw_event_id = r.id)"),
    ).toBe(0);
    expect((await purgeOlderThan(CUTOFF)).rawEvents).toBe(8);
    expect(await count("SELECT count(*) AS n FROM raw_events")).toBe(0);
  });

  it("lets ingest commit between purge batches", async () => {
    // Some 100 batches of 2: room for this loop's commits between them on a fast machine too (with
    // 27, PostgreSQL's purge once ended before the first commit returned).
    await store(day(40, 200, "+573000000040"));
    let purging = true;
    const purge = purgeOlderThan(CUTOFF, 2).finally(() => (purging = false));
    let stored = 0;
    let storedDuringPurge = 0;
    while (purging) {
      await store(day(0, 1, `+57300000${String(stored).padStart(4, "0")}`));
      stored++;
      if (purging) storedDuringPurge++;
    }
    await purge;
    expect(storedDuringPurge).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM failures")).toBe(stored);
  });
});

describe("retention on PostgreSQL: a purge batch and another instance's ingest of the same contact", () => {
  let engine: PgEngine;
  let other: PgEngine;
  beforeAll(async () => {
    engine = (await databases.use("postgres")) as PgEngine;
    // A second Faultline instance: its own pool and group committer, the same database.
    other = PgEngine.open(databases.postgresUrl());
    await clearDataTables(engine);
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(() => other.close());

  it("serialize on the contact's lock: its state ends exact whichever commits first", async () => {
    const line = "+573000000777";
    const cellphone = "3209990777";
    const contact = `+57${cellphone}`;
    // Purged: its only "do not contact" failure. Kept: a retry failure two days ago. Arriving during the purge: a later one.
    await commitEventsTo(engine, [failureOf(cellphone, line, NOW - 40 * DAY, "INVALID_PHONE"), failureOf(cellphone, line, NOW - 2 * DAY, "FAILURE")]);
    const latest = NOW - HOUR;

    // A third connection holds the contact's lock until the purge batch and the ingest both wait on it.
    const held = await holdLock(engine, (tx) => tx.one(`SELECT pg_advisory_xact_lock(${CONTACT_LOCK_SPACE}, hashtext(?))`, [contact]));
    const purge = purgeOlderThan(CUTOFF);
    const ingest = commitEventsTo(other, [failureOf(cellphone, line, latest, "FAILURE_BY_TIER_CAPACITY")]);
    const waitingOnContact = async () =>
      (await engine.one<{ n: number }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE 'SELECT pg_advisory_xact_lock%'",
      ))!.n;
    try {
      await expect.poll(waitingOnContact, { timeout: 10_000, interval: 20 }).toBe(2);
    } finally {
      // Released even when the overlap is not seen, so the pools can close.
      await held.release();
    }
    const [purged, ingested] = await Promise.all([purge, ingest]);
    expect(purged).toMatchObject({ rawEvents: 1, failures: 1 });
    expect(ingested).toMatchObject({ accepted: 1 });

    const states = await engine.query<{ scope: string; last_at: number; last_reason: string; last_dnc_at: number | null }>(
      "SELECT scope, last_at, last_reason, last_dnc_at FROM contact_state WHERE contact = ? ORDER BY scope",
      [contact],
    );
    const scopes = [EVERY_SCOPE, contactScope(line, null), contactScope(null, TEMPLATE), contactScope(line, TEMPLATE)].sort();
    const byScope = (a: { scope: string }, b: { scope: string }) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0);
    expect(states.filter((s) => s.scope.startsWith("[")).sort(byScope)).toEqual(
      scopes.map((scope) => ({ scope, last_at: latest, last_reason: "FAILURE_BY_TIER_CAPACITY", last_dnc_at: null })),
    );
    // By reason and class: INVALID_PHONE's (r3) and "do not contact"'s (c2) went with the purge.
    expect(states.filter((s) => !s.scope.startsWith("[")).sort(byScope)).toEqual([
      { scope: "c0", last_at: latest, last_reason: "FAILURE_BY_TIER_CAPACITY", last_dnc_at: null },
      { scope: "r0", last_at: NOW - 2 * DAY, last_reason: "FAILURE", last_dnc_at: null },
      { scope: "r6", last_at: latest, last_reason: "FAILURE_BY_TIER_CAPACITY", last_dnc_at: null },
    ]);
    // The line's quarter-hour counts: the contact once, in its latest failure's quarter, on the retry list, suppressed nowhere.
    const quarters = await engine.query<{ bucket: number; seen: number; retry: number; dnc: number }>(
      "SELECT bucket, seen, retry, dnc FROM contact_state_quarters WHERE scope = ? AND (seen <> 0 OR retry <> 0 OR dnc <> 0)",
      [contactScope(line, null)],
    );
    expect(quarters).toEqual([{ bucket: latest - (latest % 900_000), seen: 1, retry: 1, dnc: 0 }]);
  });
});
