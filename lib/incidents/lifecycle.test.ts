import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, getEngine } from "@/db/client";
import { copySqliteToPostgres } from "@/db/copy";
import type { PgEngine } from "@/db/pg/engine";
import { runSteps } from "@/db/steps";
import { commitEvents } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents, type PreparedEvent } from "@/lib/ingest/store";
import { ConflictError, InvalidInputError } from "@/lib/http/errors";
import { Leader } from "@/lib/ops/leader";
import { getIncident, toIncidentItem } from "@/lib/queries/incidents";
import { ENGINES, setupEngineDatabases, type EngineName } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearIntakeTables, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { acknowledgeIncident } from "./acknowledge";
import { readIncidentRow } from "./apply";
import { HISTORY_HOURS } from "./escalation";
import { ignoreIncident } from "./ignore";
import { runIncidentTimers, scheduleIncidentTimers } from "./lifecycle";
import { reopenIncident } from "./reopen";
import { resolveIncident } from "./resolve";
import { getIncidentSettings, updateIncidentSettings } from "./settings";
import { snoozeIncident } from "./snooze";
import { holdLock } from "@/lib/testing/hold-lock";

// Snoozes counted and woken at ingest run on SQLite (ingest moves to the engine in step 4 of
// docs/postgresql.md); snoozing and the timers run on both engines. Failures arrive through
// ingest into SQLite; on PostgreSQL they are then copied over as `npm run db:copy` does, with the
// same ids.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const HOUR = 3_600_000;
const by = { actor: { id: null, email: "op@test.example" }, ip: "10.0.0.1" };
let phone = 0;
let current: EngineName = "sqlite";

/** Failures of one incident, occurred and received at `at`, prepared for storing. */
function failures(count: number, at = Date.now(), overrides: Record<string, unknown> = {}): PreparedEvent[] {
  return Array.from({ length: count }, () => {
    const event = failureEvent({ timestamp: new Date(at).toISOString(), user: { country_code: "57", cellphone: String(3050000000 + ++phone) }, ...overrides });
    return prepareEvent(event, JSON.stringify(event), at);
  });
}

/** Stores each request through ingest (SQLite), then copies what is new to PostgreSQL when that is the engine under test. */
async function store(...requests: PreparedEvent[][]): Promise<void> {
  for (const events of requests) storeEvents(getDb(), events);
  if (current !== "postgres") return;
  const report = await copySqliteToPostgres({ from: process.env.DATABASE_PATH!, to: (getEngine() as PgEngine).pool.options.connectionString! });
  for (const table of ["raw_events", "failures", "incidents", "incident_hours"]) expect(report.mismatched.map((t) => t.table)).not.toContain(table);
}

/** Empties both engines' data (settings stay), so each test starts from none. */
async function clearData(): Promise<void> {
  clearIntakeTables();
  if (current !== "postgres") return;
  const tables = await getEngine().query<{ name: string }>(
    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables WHERE schemaname IN ('public', 'faultline_copy') AND tablename <> 'settings'",
  );
  await getEngine().exec(`TRUNCATE ${tables.map((t) => t.name).join(", ")} CASCADE`);
}

const incidentId = async () => (await getEngine().one<{ id: number }>("SELECT max(id) AS id FROM incidents"))!.id;
const incident = async (id: number) => toIncidentItem((await readIncidentRow(getEngine(), id))!);
const activity = (id: number) =>
  getEngine().query<{ actor: string | null; action: string; note: string | null; failureId: number | null }>(
    'SELECT actor, action, note, failure_id AS "failureId" FROM incident_activity WHERE incident_id = ? ORDER BY id',
    [id],
  );
const systemAudit = (id: number) => getEngine().query("SELECT actor_email AS actor, action FROM audit_log WHERE target = ? AND actor_email IS NULL ORDER BY id", [`incident #${id}`]);
const failureIds = (id: number) => getDb().sqlite.prepare("SELECT id FROM failures WHERE incident_id = ? ORDER BY id").pluck().all(id) as number[];

async function errorOf(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

describe("snooze by failures, counted at ingest", () => {
  beforeAll(async () => {
    await databases.use("sqlite");
    current = "sqlite";
  });
  beforeEach(async () => {
    clearIntakeTables();
    await updateIncidentSettings({ autoResolveAfterHours: 24 }, by);
  });

  it("wakes at exactly the Nth further failure, within one request's batch, citing it", async () => {
    storeEvents(getDb(), failures(2));
    const id = await incidentId();
    await snoozeIncident(id, { failures: 5 }, by);
    storeEvents(getDb(), failures(4));
    expect(runSteps(getDb().sqlite, getIncident(id))).toMatchObject({ status: "snoozed", count: 6, snooze: { failuresLeft: 1 } });

    // One request of three: the first of them is the fifth; the other two count on the open incident.
    storeEvents(getDb(), failures(3));
    const ids = failureIds(id);
    const detail = runSteps(getDb().sqlite, getIncident(id));
    expect(detail).toMatchObject({ status: "open", count: 9, snooze: null, regressed: false });
    expect((await activity(id)).at(-1)).toEqual({ actor: null, action: "unsnoozed", note: "the failures it waited for arrived", failureId: ids[6] });
    expect(await systemAudit(id)).toEqual([{ actor: null, action: "incident_unsnoozed" }]);
    const row = getDb().sqlite.prepare("SELECT snooze_until, snooze_failures_left, snooze_until_escalating FROM incidents WHERE id = ?").get(id);
    expect(row).toEqual({ snooze_until: null, snooze_failures_left: null, snooze_until_escalating: 0 });
  });

  it("counts exactly across the requests of one group commit", async () => {
    const { sqlite } = getDb();
    storeEvents(getDb(), failures(1));
    const id = await incidentId();
    await snoozeIncident(id, { failures: 3 }, by);
    // Observe the transactions the group committer runs (it builds them on first use).
    let transactions = 0;
    const original = sqlite.transaction.bind(sqlite);
    const observe = vi.spyOn(sqlite, "transaction").mockImplementation(((fn: (...args: never[]) => unknown) =>
      original((...args: never[]) => {
        transactions++;
        return fn(...args);
      })) as typeof sqlite.transaction);
    try {
      const requests = [failures(2), failures(2), failures(2)];
      const results = await Promise.all(requests.map((events) => commitEvents(getDb(), events)));
      expect(results.map((r) => r.accepted)).toEqual([2, 2, 2]);
    } finally {
      observe.mockRestore();
    }
    expect(transactions).toBe(1); // all three requests in one transaction
    const ids = failureIds(id);
    expect(ids).toHaveLength(7);
    expect(runSteps(getDb().sqlite, getIncident(id))).toMatchObject({ status: "open", count: 7 });
    // The third further failure is the first of the second request.
    expect((await activity(id)).filter((a) => a.action === "unsnoozed")).toEqual([{ actor: null, action: "unsnoozed", note: "the failures it waited for arrived", failureId: ids[3] }]);
  });

  it("an ignored incident counts its failures but never changes by itself; an acknowledged one counts new ones", async () => {
    storeEvents(getDb(), failures(1));
    const id = await incidentId();
    await ignoreIncident(id, { note: "test line" }, by);
    storeEvents(getDb(), failures(30));
    expect(runSteps(getDb().sqlite, getIncident(id))).toMatchObject({ status: "ignored", count: 31, regressed: false, escalating: false });
    expect(await runIncidentTimers(Date.now() + 1000 * HOUR)).toEqual({ autoResolved: 0, unsnoozed: 0, deescalated: 0, more: false });
    expect(runSteps(getDb().sqlite, getIncident(id)).status).toBe("ignored");
    expect((await reopenIncident(id, {}, by)).status).toBe("open");
  });
});

describe.each(ENGINES)("on %s", (engine) => {
  beforeAll(async () => {
    await databases.use(engine);
    current = engine;
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await clearData();
    await updateIncidentSettings({ autoResolveAfterHours: 24 }, by);
  });

  describe("snooze", () => {
    it("snoozes an open or acknowledged incident with exactly one condition, and says what wakes it", async () => {
      await store(failures(1));
      const id = await incidentId();
      const now = Date.now();
      const snoozed = await snoozeIncident(id, { hours: 3, note: "campaign paused" }, by, now);
      expect(snoozed).toMatchObject({ status: "snoozed", snooze: { until: new Date(now + 3 * HOUR).toISOString(), failuresLeft: null, untilEscalating: false } });
      expect(await activity(id)).toEqual([{ actor: "op@test.example", action: "snoozed", note: `until ${new Date(now + 3 * HOUR).toISOString()} — campaign paused`, failureId: null }]);

      await ignoreIncident(id, {}, by);
      await reopenIncident(id, {}, by);
      await acknowledgeIncident(id, {}, by);
      expect(await snoozeIncident(id, { failures: 100 }, by)).toMatchObject({ status: "snoozed", snooze: { until: null, failuresLeft: 100, untilEscalating: false } });
    });

    it("refuses a second condition, none, out-of-range values and past times (400), and other statuses (409)", async () => {
      await store(failures(1));
      const id = await incidentId();
      const bad: Array<[unknown, string]> = [
        [{}, "until"],
        [{ hours: 2, failures: 10 }, "until"],
        [{ hours: 0 }, "hours"],
        [{ hours: 8761 }, "hours"],
        [{ hours: 1.5 }, "hours"],
        [{ failures: 1_000_001 }, "failures"],
        [{ failures: "10" }, "failures"],
        [{ untilEscalating: false }, "untilEscalating"],
        [{ until: "tomorrow" }, "until"],
        [{ until: new Date(Date.now() - 1000).toISOString() }, "until"],
        [{ hours: 1, note: 5 }, "note"],
      ];
      for (const [body, path] of bad) {
        const err = await errorOf(() => snoozeIncident(id, body, by));
        expect(err, JSON.stringify(body)).toBeInstanceOf(InvalidInputError);
        expect((err as InvalidInputError).details?.[0]?.path, JSON.stringify(body)).toBe(path);
      }
      expect((await incident(id)).status).toBe("open");
      expect(await activity(id)).toEqual([]);

      await resolveIncident(id, {}, by);
      const conflict = (await errorOf(() => snoozeIncident(id, { untilEscalating: true }, by))) as ConflictError;
      expect(conflict).toBeInstanceOf(ConflictError);
      expect(conflict.current).toMatchObject({ id, status: "resolved", snooze: null });
    });
  });

  describe("timers, with a controllable clock", () => {
    it("auto-resolves open and acknowledged incidents whose latest failure (event time) is older than the setting", async () => {
      const t0 = Date.now();
      await store(failures(1, t0 - 3 * HOUR, { failure_reason: "INVALID_PHONE" }));
      const stale = await incidentId();
      await store(failures(1, t0 - 2 * HOUR, { failure_reason: "FAILURE_BY_RATE_LIMIT" }));
      const acked = await incidentId();
      await acknowledgeIncident(acked, {}, by);
      await store(failures(1, t0 - 2 * HOUR, { failure_reason: "REVOKED" }));
      const snoozed = await incidentId();
      await snoozeIncident(snoozed, { failures: 10 }, by);

      // 24 h after the first failure: only it is due (strictly older than 24 h).
      expect(await runIncidentTimers(t0 - 3 * HOUR + 24 * HOUR)).toMatchObject({ autoResolved: 0 });
      expect(await runIncidentTimers(t0 - 3 * HOUR + 24 * HOUR + 1)).toMatchObject({ autoResolved: 1 });
      expect(await incident(stale)).toMatchObject({ status: "resolved", resolvedBy: null, regressed: false });
      expect(await activity(stale)).toEqual([{ actor: null, action: "auto_resolved", note: "no failure for 24 hours", failureId: null }]);
      expect(await systemAudit(stale)).toEqual([{ actor: null, action: "incident_auto_resolved" }]);

      expect(await runIncidentTimers(t0 + 23 * HOUR)).toMatchObject({ autoResolved: 1 });
      expect((await incident(acked)).status).toBe("resolved");
      expect((await incident(snoozed)).status).toBe("snoozed"); // a snooze is waited out, not resolved

      // A later failure regresses it, as for a person's resolve (at ingest: on SQLite until step 4).
      if (engine === "sqlite") {
        await store(failures(1, t0, { failure_reason: "INVALID_PHONE" }));
        expect(await incident(stale)).toMatchObject({ status: "open", regressed: true });
      }
    });

    it("follows the setting: a longer period waits longer, null never resolves", async () => {
      const t0 = Date.now();
      await store(failures(1, t0 - HOUR));
      const id = await incidentId();
      await updateIncidentSettings({ autoResolveAfterHours: 720 }, by);
      expect((await runIncidentTimers(t0 + 700 * HOUR)).autoResolved).toBe(0);
      await updateIncidentSettings({ autoResolveAfterHours: null }, by);
      expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: null });
      expect((await runIncidentTimers(t0 + 10_000 * HOUR)).autoResolved).toBe(0);
      await updateIncidentSettings({ autoResolveAfterHours: 1 }, by);
      expect((await runIncidentTimers(t0 + 1)).autoResolved).toBe(1);
      expect((await incident(id)).status).toBe("resolved");
      for (const bad of [{ autoResolveAfterHours: 0 }, { autoResolveAfterHours: 721 }, { autoResolveAfterHours: 2.5 }, { autoResolveAfterHours: "24" }, {}, { autoResolveAfterHours: 24, x: 1 }]) {
        await expect(updateIncidentSettings(bad, by), JSON.stringify(bad)).rejects.toThrow(InvalidInputError);
      }
      expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: 1 });
    });

    it("works off a backlog in batches, each its own short transaction", async () => {
      const t0 = Date.now();
      const reasons = ["INVALID_PHONE", "REVOKED", "FAILURE", "INVALID_POLL", "MISSING_PARAMETER"];
      await store(...reasons.map((reason) => failures(1, t0 - 48 * HOUR, { failure_reason: reason })));
      expect(await runIncidentTimers(t0, 2)).toMatchObject({ autoResolved: 2, more: true });
      expect(await runIncidentTimers(t0, 2)).toMatchObject({ autoResolved: 2, more: true });
      expect(await runIncidentTimers(t0, 2)).toMatchObject({ autoResolved: 1, more: false });
      expect(await getEngine().one("SELECT count(*) AS n FROM incidents WHERE status = 'resolved'")).toEqual({ n: 5 });
    });

    it("wakes a snoozed incident when its time passes, and not before", async () => {
      const t0 = Date.now();
      await store(failures(1, t0));
      const id = await incidentId();
      await snoozeIncident(id, { hours: 2 }, by, t0);
      expect((await runIncidentTimers(t0 + 2 * HOUR - 1)).unsnoozed).toBe(0);
      expect((await incident(id)).status).toBe("snoozed");
      expect((await runIncidentTimers(t0 + 2 * HOUR)).unsnoozed).toBe(1);
      expect(await incident(id)).toMatchObject({ status: "open", snooze: null });
      expect((await activity(id)).at(-1)).toEqual({ actor: null, action: "unsnoozed", note: "the snooze time passed", failureId: null });
      expect(await systemAudit(id)).toEqual([{ actor: null, action: "incident_unsnoozed" }]);
    });

    it("ends an escalation once a whole hour has passed below its threshold, and drops hourly counts escalation no longer needs", async () => {
      const H = Math.floor(Date.now() / HOUR) * HOUR;
      // A young incident (busiest earlier hour: 1) escalates above 20 failures in an hour.
      await store(failures(1, H - 2 * HOUR), failures(1, H - HISTORY_HOURS * HOUR - 30 * HOUR), failures(25, H + 60_000));
      const id = await incidentId();
      expect(await incident(id)).toMatchObject({ escalating: true });
      const hours = async () => (await getEngine().query<{ bucket: number }>("SELECT bucket FROM incident_hours WHERE incident_id = ? ORDER BY bucket", [id])).map((r) => r.bucket);
      expect(await hours()).toEqual([H - HISTORY_HOURS * HOUR - 30 * HOUR, H - 2 * HOUR, H]);

      // During the next hour it stays escalating (the burst hour is the last full hour)…
      expect(await runIncidentTimers(H + HOUR + 30 * 60_000)).toMatchObject({ deescalated: 0 });
      expect((await incident(id)).escalating).toBe(true);
      // …the count older than escalation's history (and a day) is gone, the others kept…
      expect(await hours()).toEqual([H - 2 * HOUR, H]);
      // …and once that hour ends, it falls back.
      expect(await runIncidentTimers(H + 2 * HOUR)).toMatchObject({ deescalated: 1 });
      expect(await incident(id)).toMatchObject({ escalating: false, escalatingSince: null, status: "open" });
      expect((await activity(id)).at(-1)).toEqual({ actor: null, action: "escalation_ended", note: "an hour passed below its threshold", failureId: null });
    });

    it("the server's scheduler runs them on its clock, on the leader", async () => {
      const t0 = Date.now();
      await store(failures(1, t0));
      const id = await incidentId();
      await snoozeIncident(id, { hours: 5 }, by, t0);
      let now = t0;
      const leader = new Leader(getEngine());
      await leader.start();
      const stop = scheduleIncidentTimers(leader, { everyMs: 20, clock: () => now });
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await incident(id)).status).toBe("snoozed");
        now = t0 + 5 * HOUR;
        await vi.waitFor(async () => expect((await incident(id)).status).toBe("open"), { timeout: 2000, interval: 20 });
      } finally {
        stop();
        await leader.stop();
      }
    });
  });
});

describe("on PostgreSQL: two instances' timers at once", () => {
  beforeAll(async () => {
    await databases.use("postgres");
    current = "postgres";
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await clearData();
    await updateIncidentSettings({ autoResolveAfterHours: 24 }, by);
  });

  const waitingAuditInserts = async () =>
    (await getEngine().one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO audit_log %'",
    ))!.n;
  const count = async (sql: string) => (await getEngine().one<{ n: number }>(sql))!.n;

  it("each run takes incidents the other does not hold: every incident is resolved once, with one activity and one audit row", async () => {
    const at = Date.now() - 48 * HOUR;
    for (let i = 0; i < 10; i++) {
      await getEngine().exec(
        "INSERT INTO incidents (reason, line_key, template_key, first_seen, last_seen, failures, contacts, updated_at) VALUES ('131026', '573001112233', ?, ?, ?, 1, 1, ?)",
        [`timers_${i}`, at, at, at],
      );
    }
    // A third connection keeps audit rows from being written: each run stops at its first audit
    // row with its batch of incidents locked; both waiting there at once is the overlap, proven.
    const held = await holdLock(getEngine(), (tx) => tx.exec("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"));
    const runs = [runIncidentTimers(Date.now(), 4), runIncidentTimers(Date.now(), 4)];
    await expect.poll(waitingAuditInserts, { timeout: 10_000, interval: 20 }).toBe(2);
    await held.release();
    expect((await Promise.all(runs)).map((r) => r.autoResolved)).toEqual([4, 4]);
    expect(await count("SELECT count(*) AS n FROM incidents WHERE status = 'resolved'")).toBe(8);
    expect(await count("SELECT count(DISTINCT incident_id) AS n FROM incident_activity WHERE action = 'auto_resolved'")).toBe(8);
    expect(await count("SELECT count(*) AS n FROM incident_activity WHERE action = 'auto_resolved'")).toBe(8);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'incident_auto_resolved'")).toBe(8);
  });
});
