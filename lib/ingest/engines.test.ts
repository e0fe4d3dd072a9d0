import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import { createChannel } from "@/lib/alerts/channels";
import { createRule } from "@/lib/alerts/rules";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { replaceFieldMapping } from "./field-mapping";
import { CONTACT_LOCK_SPACE } from "./contact-state";
import { commitEventsTo } from "./group-commit";
import { prepareEvent } from "./handle-webhook";
import { reprocessQuarantined } from "./reprocess";
import type { PreparedEvent } from "./store";
import { holdLock } from "@/lib/testing/hold-lock";

// Ingest's rules (lib/ingest/store.ts and what it counts into) on both engines through the group
// committer each engine uses: SQLite's synchronous one, PostgreSQL's engine transactions.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const HOUR = 3_600_000;
const by = { actor: { id: null, email: "op@test.example" }, ip: null };
let lines = 0;
let phones = 0;

/** A new line per test, so each test has incidents of its own in the engine's shared database. */
const newLine = () => `+5730000${String(++lines).padStart(5, "0")}`;
const newPhone = () => String(3200000000 + ++phones);

function failures(n: number, fields: { line: string; at?: number; reason?: string; cellphone?: string }): PreparedEvent[] {
  const at = fields.at ?? Date.parse("2026-11-25T14:02:00Z");
  return Array.from({ length: n }, () => {
    const event = failureEvent({
      line: fields.line,
      timestamp: new Date(at).toISOString(),
      ...(fields.reason ? { failure_reason: fields.reason } : {}),
      user: { country_code: "57", cellphone: fields.cellphone ?? newPhone() },
    });
    return prepareEvent(event, JSON.stringify(event), at);
  });
}

describe.each(ENGINES)("ingest on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
  }, CLUSTER_START_TIMEOUT_MS);

  const count = async (sql: string, params: Param[] = []) => (await engine.one<{ n: number }>(`SELECT count(*) AS n FROM ${sql}`, params))!.n;
  const incidentOf = async (line: string) =>
    (await engine.one<{ id: number } & Record<string, number | string | null>>(
      `SELECT id, status, failures, contacts, regressed, reopened_count, snooze_failures_left, escalating FROM incidents WHERE line_key = ?`,
      [line],
    ))!;
  const actionsOf = async (id: number) =>
    (await engine.query<{ action: string }>(`SELECT action FROM incident_activity WHERE incident_id = ? ORDER BY id`, [id])).map((r) => r.action);

  it("stores every event once, whether repeated in a request, across requests or at once; duplicates count as such", async () => {
    const line = newLine();
    const events = failures(6, { line });
    const first = await commitEventsTo(engine, [...events.slice(0, 4), events[0]!]);
    expect(first).toEqual({ accepted: 4, duplicates: 1, quarantined: 0 });
    const again = await Promise.all([commitEventsTo(engine, events), commitEventsTo(engine, events.slice(2))]);
    expect(again[0].accepted + again[1].accepted).toBe(2);
    expect(again[0].duplicates + again[1].duplicates).toBe(8);
    expect(await count(`failures WHERE line = ?`, [line])).toBe(6);
    expect(await count(`raw_events r JOIN failures f ON f.raw_event_id = r.id WHERE f.line = ?`, [line])).toBe(6);
    const broken = prepareEvent({ event_type: "deployment.failure" }, `{"event_type":"deployment.failure","n":${lines}}`, Date.now());
    expect(await commitEventsTo(engine, [broken, broken])).toEqual({ accepted: 0, duplicates: 1, quarantined: 1 });
  });

  it("counts rollups, phone grams, contact sketches, phone search pairs and the incident's counters", async () => {
    const line = newLine();
    const cellphone = newPhone();
    const at = Date.parse("2026-11-26T09:10:00Z");
    await commitEventsTo(engine, [...failures(3, { line, at, cellphone }), ...failures(2, { line, at })]);
    await commitEventsTo(engine, failures(1, { line, at: at + HOUR, cellphone }));
    const hour = at - (at % HOUR);
    const rollup = await engine.query<{ bucket: number; failures: number }>(`SELECT bucket, failures FROM rollup_hour_line WHERE line = ? ORDER BY bucket`, [line]);
    expect(rollup).toEqual([
      { bucket: hour, failures: 5 },
      { bucket: hour + HOUR, failures: 1 },
    ]);
    expect(await engine.one(`SELECT sum(failures) AS n FROM rollup_day WHERE line = ?`, [line])).toEqual({ n: 6 });
    expect(await count(`phone_gram_hour_line WHERE line = ?`, [line])).toBe(2);
    expect(await count(`contact_phones WHERE cellphone = ?`, [cellphone])).toBe(1);
    expect(await count(`contact_sketch_hour WHERE bucket = ? AND reason = '*'`, [hour])).toBe(1);
    const incident = await incidentOf(line);
    expect(incident).toMatchObject({ status: "open", failures: 6, contacts: 3, regressed: 0 });
    expect(await count(`incident_contacts WHERE incident_id = ?`, [incident.id])).toBe(3);
    const hours = await engine.query<{ failures: number }>(`SELECT failures FROM incident_hours WHERE incident_id = ? ORDER BY bucket`, [incident.id]);
    expect(hours.map((h) => h.failures)).toEqual([5, 1]);
  });

  it("regresses a resolved incident on its next failure, citing it", async () => {
    const line = newLine();
    await commitEventsTo(engine, failures(1, { line }));
    const { id } = await incidentOf(line);
    await engine.exec(`UPDATE incidents SET status = 'resolved' WHERE id = ?`, [id]);
    await commitEventsTo(engine, failures(2, { line }));
    expect(await incidentOf(line)).toMatchObject({ status: "open", regressed: 1, reopened_count: 1, failures: 3 });
    expect(await actionsOf(id)).toEqual(["regressed"]);
    expect(await count(`audit_log WHERE action = 'incident_regressed' AND target = ?`, [`incident #${id}`])).toBe(1);
  });

  it("counts a snooze by failures down across requests and wakes the incident on the last one", async () => {
    const line = newLine();
    await commitEventsTo(engine, failures(1, { line }));
    const { id } = await incidentOf(line);
    await engine.exec(`UPDATE incidents SET status = 'snoozed', snooze_failures_left = 4 WHERE id = ?`, [id]);
    await Promise.all([commitEventsTo(engine, failures(1, { line })), commitEventsTo(engine, failures(2, { line }))]);
    expect(await incidentOf(line)).toMatchObject({ status: "snoozed", snooze_failures_left: 1 });
    await commitEventsTo(engine, failures(2, { line }));
    expect(await incidentOf(line)).toMatchObject({ status: "open", snooze_failures_left: null, failures: 6 });
    expect(await actionsOf(id)).toEqual(["unsnoozed"]);
  });

  it("escalates an incident with a quiet week behind it once its hour reaches 20 failures", async () => {
    const line = newLine();
    const now = Date.now();
    await commitEventsTo(engine, failures(1, { line, at: now - 8 * 24 * HOUR }));
    await commitEventsTo(engine, failures(19, { line, at: now }));
    expect(await incidentOf(line)).toMatchObject({ escalating: 0 });
    await commitEventsTo(engine, failures(1, { line, at: now }));
    const incident = await incidentOf(line);
    expect(incident).toMatchObject({ escalating: 1, failures: 21 });
    expect(await actionsOf(incident.id)).toEqual(["escalating"]);
  });

  it("keeps each contact's latest state per scope and the quarter-hour counts it moves", async () => {
    const line = newLine();
    const cellphone = newPhone();
    const at = Date.parse("2026-11-27T10:05:00Z");
    await commitEventsTo(engine, failures(1, { line, at, cellphone, reason: "FAILURE_BY_TIER_CAPACITY" }));
    await commitEventsTo(engine, failures(1, { line, at: at + HOUR, cellphone, reason: "REVOKED" }));
    const contact = `+57${cellphone}`;
    const states = await engine.query<{ scope: string; last_at: number; last_reason: string }>(
      `SELECT scope, last_at, last_reason FROM contact_state WHERE contact = ? ORDER BY scope`,
      [contact],
    );
    // Four scopes by line and template, where the later failure is the latest; and each reason's
    // own scope and its class's (FAILURE_BY_TIER_CAPACITY: r6, "retry later" c0; REVOKED: r2, "no action" c3).
    const byLineAndTemplate = states.filter((s) => s.scope.startsWith("["));
    expect(byLineAndTemplate).toHaveLength(4);
    for (const s of byLineAndTemplate) expect(s).toMatchObject({ last_at: at + HOUR, last_reason: "REVOKED" });
    expect(states.filter((s) => !s.scope.startsWith("[")).sort((a, b) => (a.scope < b.scope ? -1 : 1))).toEqual([
      { scope: "c0", last_at: at, last_reason: "FAILURE_BY_TIER_CAPACITY" },
      { scope: "c3", last_at: at + HOUR, last_reason: "REVOKED" },
      { scope: "r2", last_at: at + HOUR, last_reason: "REVOKED" },
      { scope: "r6", last_at: at, last_reason: "FAILURE_BY_TIER_CAPACITY" },
    ]);
    const lineScope = JSON.stringify([line, null]);
    const quarters = await engine.query<{ bucket: number; seen: number }>(`SELECT bucket, seen FROM contact_state_quarters WHERE scope = ? ORDER BY bucket`, [lineScope]);
    // The contact moved from the first quarter to the later one.
    expect(quarters).toEqual([
      { bucket: at - (at % 900_000), seen: 0 },
      { bucket: at + HOUR - (at % 900_000), seen: 1 },
    ]);
  });

  it("writes an alert delivery for a new incident in the ingest transaction, once per rule and incident", async () => {
    const channel = await createChannel({ type: "slack", name: `hook ${name}`, url: "https://hooks.example.com/ingest" }, by);
    const rule = await createRule({ name: "new incidents", trigger: "incident_opened", channelIds: [channel.id] }, by);
    const line = newLine();
    await commitEventsTo(engine, failures(2, { line }));
    await commitEventsTo(engine, failures(1, { line }));
    const { id } = await incidentOf(line);
    const deliveries = await engine.query<{ type: string; status: string; payload: string }>(
      `SELECT type, status, payload FROM alert_deliveries WHERE rule_id = ? AND channel_id = ?`,
      [rule.id, channel.id],
    );
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ type: "incident.opened", status: "pending" });
    expect(JSON.parse(deliveries[0]!.payload)).toMatchObject({ incident: { id, count: 2 } });
    expect(await count(`alert_rule_state WHERE rule_id = ? AND scope = ?`, [rule.id, `incident:${id}:incident_opened`])).toBe(1);
    await engine.exec(`UPDATE alert_rules SET enabled = 0 WHERE id = ?`, [rule.id]);
  });

  it("re-processes quarantined events with a new field mapping through the same rules, once", async () => {
    const line = newLine();
    const unmapped = Array.from({ length: 3 }, () => {
      const event = { ...failureEvent({ line, status: "FAILURE" }), failure_reason: undefined };
      return prepareEvent(event, JSON.stringify(event), Date.now());
    });
    expect(await commitEventsTo(engine, unmapped)).toMatchObject({ quarantined: 3 });
    const quarantined = await count(`raw_events WHERE problems IS NOT NULL`);
    await replaceFieldMapping({ reason: ["status"] }, by);
    try {
      expect(await reprocessQuarantined({ scope: "quarantined" }, { ...by, batchSize: 2 })).toEqual({
        processed: quarantined,
        accepted: 3,
        stillQuarantined: quarantined - 3,
      });
      expect(await incidentOf(line)).toMatchObject({ status: "open", failures: 3 });
      expect(await reprocessQuarantined({ scope: "quarantined" }, by)).toMatchObject({ accepted: 0 });
      expect(await count(`failures WHERE line = ?`, [line])).toBe(3);
      expect(await count(`audit_log WHERE action = 'events_reprocessed'`)).toBe(2);
    } finally {
      await replaceFieldMapping({}, by);
    }
  });
});

describe("on PostgreSQL: two instances ingesting at once", () => {
  let engine: PgEngine;
  let other: PgEngine;
  beforeAll(async () => {
    engine = (await databases.use("postgres")) as PgEngine;
    // A second Faultline instance: its own pool, its own group committer, the same database.
    other = PgEngine.open(engine.pool.options.connectionString!);
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(() => other.close());

  const one = async <T>(sql: string, params: Param[] = []) => (await engine.one<T>(sql, params))!;
  const waitingOnIncident = async () =>
    (await one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT id, status, first_seen%'",
    )).n;

  it("overlapping batches with duplicates on one snoozed incident: every event once, counters and the snooze countdown exact", async () => {
    const line = newLine();
    await commitEventsTo(engine, failures(1, { line }));
    const { id } = await one<{ id: number }>(`SELECT id FROM incidents WHERE line_key = ?`, [line]);
    // Both instances' failures are counted down: 2 left over when none is lost.
    const shared = failures(40, { line, cellphone: newPhone() });
    const onlyFirst = failures(15, { line });
    const onlySecond = failures(15, { line });
    const distinct = shared.length + onlyFirst.length + onlySecond.length;
    await engine.exec(`UPDATE incidents SET status = 'snoozed', snooze_failures_left = ? WHERE id = ?`, [distinct + 2, id]);

    // A third connection holds the incident's row until both instances' transactions wait on it.
    const held = await holdLock(engine, (tx) => tx.one("SELECT id FROM incidents WHERE id = ? FOR UPDATE", [id]));
    // Each starts with an event of its own, so neither waits on the other's dedupe keys first.
    const first = commitEventsTo(engine, [onlyFirst[0]!, ...shared, ...onlyFirst.slice(1), ...shared.slice(0, 5)]);
    const second = commitEventsTo(other, [onlySecond[0]!, ...shared.slice().reverse(), ...onlySecond.slice(1)]);
    await expect.poll(waitingOnIncident, { timeout: 10_000, interval: 20 }).toBe(2);
    await held.release();
    const [a, b] = await Promise.all([first, second]);

    expect(a.accepted + b.accepted).toBe(distinct);
    expect(a.duplicates + b.duplicates).toBe(shared.length + 5);
    expect(await one(`SELECT count(*) AS n FROM failures WHERE line = ?`, [line])).toEqual({ n: distinct + 1 });
    expect(await one(`SELECT count(DISTINCT raw_event_id) AS n FROM failures WHERE line = ?`, [line])).toEqual({ n: distinct + 1 });
    expect(await one(`SELECT status, failures, contacts, snooze_failures_left FROM incidents WHERE id = ?`, [id])).toEqual({
      status: "snoozed",
      failures: distinct + 1,
      contacts: 1 + 1 + onlyFirst.length + onlySecond.length,
      snooze_failures_left: 2,
    });
    expect(await one(`SELECT sum(failures) AS n FROM incident_hours WHERE incident_id = ?`, [id])).toEqual({ n: distinct + 1 });
    expect(await one(`SELECT sum(failures) AS n FROM rollup_hour_line WHERE line = ?`, [line])).toEqual({ n: distinct + 1 });
    expect(await one(`SELECT sum(seen) AS n FROM contact_state_quarters WHERE scope = ?`, [JSON.stringify([line, null])])).toEqual({
      n: 1 + 1 + onlyFirst.length + onlySecond.length,
    });
  });

  it("two instances creating the same incident at once: one row, every failure on it", async () => {
    const line = newLine();
    // A third connection inserts the incident uncommitted until both instances' inserts wait on
    // it, then rolls back: one instance creates it, the other waits for that one and reads it.
    const held = await holdLock(
      engine,
      (tx) =>
        tx.exec(
          `INSERT INTO incidents (reason, line_key, template_key, status, first_seen, last_seen, failures, contacts, updated_at)
           VALUES ('FAILURE_BY_TIER_CAPACITY', ?, 'welcome_v2', 'open', 0, 0, 0, 0, 0)`,
          [line],
        ),
      { rollBack: true },
    );
    const results = [commitEventsTo(engine, failures(5, { line })), commitEventsTo(other, failures(7, { line }))];
    const waitingInserts = async () =>
      (await one<{ n: number }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO incidents %'",
      )).n;
    await expect.poll(waitingInserts, { timeout: 10_000, interval: 20 }).toBe(2);
    await held.release();
    expect((await Promise.all(results)).map((r) => r.accepted)).toEqual([5, 7]);
    const incidents = await engine.query<{ id: number; failures: number; first_seen: number }>(`SELECT id, failures, first_seen FROM incidents WHERE line_key = ?`, [line]);
    expect(incidents).toEqual([{ id: incidents[0]!.id, failures: 12, first_seen: Date.parse("2026-11-25T14:02:00Z") }]);
  });

  it("groups of the same incidents and contacts in random orders from both instances: exact counts, and no deadlock to retry", async () => {
    const lines = [newLine(), newLine(), newLine()];
    const cellphones = Array.from({ length: 12 }, newPhone);
    const shuffled = <T>(items: T[]) => items.map((item) => ({ item, r: Math.random() })).sort((a, b) => a.r - b.r).map(({ item }) => item);
    const retriesBefore = engine.retries + other.retries;
    const lowestContact = cellphones.map((c) => `+57${c}`).sort()[0]!;
    const waiting = async () =>
      (await one<{ n: number }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      )).n;
    let stored = 0;
    for (let round = 0; round < 4; round++) {
      const events = cellphones.flatMap((cellphone, i) => failures(2, { line: lines[i % lines.length]!, cellphone }));
      stored += events.length;
      // A third connection holds the contact every group locks first until both instances wait (overlap proven).
      const held = await holdLock(engine, (tx) => tx.one(`SELECT pg_advisory_xact_lock(${CONTACT_LOCK_SPACE}, hashtext(?))`, [lowestContact]));
      const results = Promise.all([commitEventsTo(engine, shuffled(events)), commitEventsTo(other, shuffled(events))]);
      await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(2);
      await held.release();
      const [a, b] = await results;
      expect(a.accepted + b.accepted).toBe(events.length);
    }
    const incidents = await engine.query<{ failures: number; contacts: number }>(`SELECT failures, contacts FROM incidents WHERE line_key IN (?, ?, ?)`, lines);
    expect(incidents.reduce((n, i) => n + i.failures, 0)).toBe(stored);
    expect(incidents.reduce((n, i) => n + i.contacts, 0)).toBe(cellphones.length);
    expect(await one(`SELECT sum(failures) AS n FROM rollup_day WHERE line IN (?, ?, ?)`, lines)).toEqual({ n: stored });
    // Incidents, then contacts, each in key order; shared counters at the end, in key order too.
    expect(engine.retries + other.retries).toBe(retriesBefore);
  });
});
