import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/db/client";
import { commitEvents } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents, type PreparedEvent } from "@/lib/ingest/store";
import { ConflictError, InvalidInputError } from "@/lib/http/errors";
import { getIncident } from "@/lib/queries/incidents";
import { failureEvent } from "@/lib/testing/fixtures";
import { clearIntakeTables, setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { acknowledgeIncident } from "./acknowledge";
import { ignoreIncident } from "./ignore";
import { runIncidentTimers, scheduleIncidentTimers } from "./lifecycle";
import { reopenIncident } from "./reopen";
import { resolveIncident } from "./resolve";
import { getIncidentSettings, updateIncidentSettings } from "./settings";
import { snoozeIncident } from "./snooze";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => tempDb.cleanup());

const HOUR = 3_600_000;
const by = { actor: { id: null, email: "op@test.example" }, ip: "10.0.0.1" };
let phone = 0;

beforeEach(async () => {
  clearIntakeTables();
  await updateIncidentSettings({ autoResolveAfterHours: 24 }, by);
});

/** Failures of one incident, occurred and received at `at`, prepared for storing. */
function failures(count: number, at = Date.now(), overrides: Record<string, unknown> = {}): PreparedEvent[] {
  return Array.from({ length: count }, () => {
    const event = failureEvent({ timestamp: new Date(at).toISOString(), user: { country_code: "57", cellphone: String(3050000000 + ++phone) }, ...overrides });
    return prepareEvent(event, JSON.stringify(event), at);
  });
}
const incidentId = () => getDb().sqlite.prepare("SELECT max(id) FROM incidents").pluck().get() as number;
const failureIds = (id: number) => getDb().sqlite.prepare("SELECT id FROM failures WHERE incident_id = ? ORDER BY id").pluck().all(id) as number[];
const activity = (id: number) =>
  getDb().sqlite.prepare("SELECT actor, action, note, failure_id AS failureId FROM incident_activity WHERE incident_id = ? ORDER BY id").all(id) as Array<{
    actor: string | null;
    action: string;
    note: string | null;
    failureId: number | null;
  }>;
const systemAudit = (id: number) =>
  getDb().sqlite.prepare("SELECT actor_email AS actor, action FROM audit_log WHERE target = ? AND actor_email IS NULL ORDER BY id").all(`incident #${id}`);

async function errorOf(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

describe("snooze", () => {
  it("snoozes an open or acknowledged incident with exactly one condition, and says what wakes it", async () => {
    storeEvents(getDb(), failures(1));
    const id = incidentId();
    const now = Date.now();
    const snoozed = await snoozeIncident(id, { hours: 3, note: "campaign paused" }, by, now);
    expect(snoozed).toMatchObject({ status: "snoozed", snooze: { until: new Date(now + 3 * HOUR).toISOString(), failuresLeft: null, untilEscalating: false } });
    expect(activity(id)).toEqual([{ actor: "op@test.example", action: "snoozed", note: `until ${new Date(now + 3 * HOUR).toISOString()} — campaign paused`, failureId: null }]);

    await ignoreIncident(id, {}, by);
    await reopenIncident(id, {}, by);
    await acknowledgeIncident(id, {}, by);
    expect(await snoozeIncident(id, { failures: 100 }, by)).toMatchObject({ status: "snoozed", snooze: { until: null, failuresLeft: 100, untilEscalating: false } });
  });

  it("refuses a second condition, none, out-of-range values and past times (400), and other statuses (409)", async () => {
    storeEvents(getDb(), failures(1));
    const id = incidentId();
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
    expect(getIncident(getDb().sqlite, id).status).toBe("open");
    expect(activity(id)).toEqual([]);

    await resolveIncident(id, {}, by);
    const conflict = (await errorOf(() => snoozeIncident(id, { untilEscalating: true }, by))) as ConflictError;
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.current).toMatchObject({ id, status: "resolved", snooze: null });
  });
});

describe("snooze by failures, counted at ingest", () => {
  it("wakes at exactly the Nth further failure, within one request's batch, citing it", async () => {
    storeEvents(getDb(), failures(2));
    const id = incidentId();
    await snoozeIncident(id, { failures: 5 }, by);
    storeEvents(getDb(), failures(4));
    expect(getIncident(getDb().sqlite, id)).toMatchObject({ status: "snoozed", count: 6, snooze: { failuresLeft: 1 } });

    // One request of three: the first of them is the fifth; the other two count on the open incident.
    storeEvents(getDb(), failures(3));
    const ids = failureIds(id);
    const detail = getIncident(getDb().sqlite, id);
    expect(detail).toMatchObject({ status: "open", count: 9, snooze: null, regressed: false });
    expect(activity(id).at(-1)).toEqual({ actor: null, action: "unsnoozed", note: "the failures it waited for arrived", failureId: ids[6] });
    expect(systemAudit(id)).toEqual([{ actor: null, action: "incident_unsnoozed" }]);
    const row = getDb().sqlite.prepare("SELECT snooze_until, snooze_failures_left, snooze_until_escalating FROM incidents WHERE id = ?").get(id);
    expect(row).toEqual({ snooze_until: null, snooze_failures_left: null, snooze_until_escalating: 0 });
  });

  it("counts exactly across the requests of one group commit", async () => {
    const { sqlite } = getDb();
    storeEvents(getDb(), failures(1));
    const id = incidentId();
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
    expect(getIncident(getDb().sqlite, id)).toMatchObject({ status: "open", count: 7 });
    // The third further failure is the first of the second request.
    expect(activity(id).filter((a) => a.action === "unsnoozed")).toEqual([{ actor: null, action: "unsnoozed", note: "the failures it waited for arrived", failureId: ids[3] }]);
  });

  it("an ignored incident counts its failures but never changes by itself; an acknowledged one counts new ones", async () => {
    storeEvents(getDb(), failures(1));
    const id = incidentId();
    await ignoreIncident(id, { note: "test line" }, by);
    storeEvents(getDb(), failures(30));
    expect(getIncident(getDb().sqlite, id)).toMatchObject({ status: "ignored", count: 31, regressed: false, escalating: false });
    expect(runIncidentTimers(getDb(), Date.now() + 1000 * HOUR)).toEqual({ autoResolved: 0, unsnoozed: 0, deescalated: 0, more: false });
    expect(getIncident(getDb().sqlite, id).status).toBe("ignored");
    expect((await reopenIncident(id, {}, by)).status).toBe("open");
  });
});

describe("timers, with a controllable clock", () => {
  it("auto-resolves open and acknowledged incidents whose latest failure (event time) is older than the setting", async () => {
    const t0 = Date.now();
    storeEvents(getDb(), failures(1, t0 - 3 * HOUR, { failure_reason: "INVALID_PHONE" }));
    const stale = incidentId();
    storeEvents(getDb(), failures(1, t0 - 2 * HOUR, { failure_reason: "FAILURE_BY_RATE_LIMIT" }));
    const acked = incidentId();
    await acknowledgeIncident(acked, {}, by);
    storeEvents(getDb(), failures(1, t0 - 2 * HOUR, { failure_reason: "REVOKED" }));
    const snoozed = incidentId();
    await snoozeIncident(snoozed, { failures: 10 }, by);

    // 24 h after the first failure: only it is due (strictly older than 24 h).
    expect(runIncidentTimers(getDb(), t0 - 3 * HOUR + 24 * HOUR)).toMatchObject({ autoResolved: 0 });
    expect(runIncidentTimers(getDb(), t0 - 3 * HOUR + 24 * HOUR + 1)).toMatchObject({ autoResolved: 1 });
    expect(getIncident(getDb().sqlite, stale)).toMatchObject({ status: "resolved", resolvedBy: null, regressed: false });
    expect(activity(stale)).toEqual([{ actor: null, action: "auto_resolved", note: "no failure for 24 hours", failureId: null }]);
    expect(systemAudit(stale)).toEqual([{ actor: null, action: "incident_auto_resolved" }]);

    expect(runIncidentTimers(getDb(), t0 + 23 * HOUR)).toMatchObject({ autoResolved: 1 });
    expect(getIncident(getDb().sqlite, acked).status).toBe("resolved");
    expect(getIncident(getDb().sqlite, snoozed).status).toBe("snoozed"); // a snooze is waited out, not resolved

    // A later failure regresses it, as for a person's resolve.
    storeEvents(getDb(), failures(1, t0, { failure_reason: "INVALID_PHONE" }));
    expect(getIncident(getDb().sqlite, stale)).toMatchObject({ status: "open", regressed: true });
  });

  it("follows the setting: a longer period waits longer, null never resolves", async () => {
    const t0 = Date.now();
    storeEvents(getDb(), failures(1, t0 - HOUR));
    const id = incidentId();
    await updateIncidentSettings({ autoResolveAfterHours: 720 }, by);
    expect(runIncidentTimers(getDb(), t0 + 700 * HOUR).autoResolved).toBe(0);
    await updateIncidentSettings({ autoResolveAfterHours: null }, by);
    expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: null });
    expect(runIncidentTimers(getDb(), t0 + 10_000 * HOUR).autoResolved).toBe(0);
    await updateIncidentSettings({ autoResolveAfterHours: 1 }, by);
    expect(runIncidentTimers(getDb(), t0 + 1).autoResolved).toBe(1);
    expect(getIncident(getDb().sqlite, id).status).toBe("resolved");
    for (const bad of [{ autoResolveAfterHours: 0 }, { autoResolveAfterHours: 721 }, { autoResolveAfterHours: 2.5 }, { autoResolveAfterHours: "24" }, {}, { autoResolveAfterHours: 24, x: 1 }]) {
      await expect(updateIncidentSettings(bad, by), JSON.stringify(bad)).rejects.toThrow(InvalidInputError);
    }
    expect(await getIncidentSettings()).toEqual({ autoResolveAfterHours: 1 });
  });

  it("works off a backlog in batches, each its own short transaction", () => {
    const t0 = Date.now();
    const reasons = ["INVALID_PHONE", "REVOKED", "FAILURE", "INVALID_POLL", "MISSING_PARAMETER"];
    for (const reason of reasons) storeEvents(getDb(), failures(1, t0 - 48 * HOUR, { failure_reason: reason }));
    expect(runIncidentTimers(getDb(), t0, 2)).toMatchObject({ autoResolved: 2, more: true });
    expect(runIncidentTimers(getDb(), t0, 2)).toMatchObject({ autoResolved: 2, more: true });
    expect(runIncidentTimers(getDb(), t0, 2)).toMatchObject({ autoResolved: 1, more: false });
    expect(getDb().sqlite.prepare("SELECT count(*) FROM incidents WHERE status = 'resolved'").pluck().get()).toBe(5);
  });

  it("wakes a snoozed incident when its time passes, and not before", async () => {
    const t0 = Date.now();
    storeEvents(getDb(), failures(1, t0));
    const id = incidentId();
    await snoozeIncident(id, { hours: 2 }, by, t0);
    expect(runIncidentTimers(getDb(), t0 + 2 * HOUR - 1).unsnoozed).toBe(0);
    expect(getIncident(getDb().sqlite, id).status).toBe("snoozed");
    expect(runIncidentTimers(getDb(), t0 + 2 * HOUR).unsnoozed).toBe(1);
    expect(getIncident(getDb().sqlite, id)).toMatchObject({ status: "open", snooze: null });
    expect(activity(id).at(-1)).toEqual({ actor: null, action: "unsnoozed", note: "the snooze time passed", failureId: null });
    expect(systemAudit(id)).toEqual([{ actor: null, action: "incident_unsnoozed" }]);
  });

  it("the server's scheduler runs them on its clock", async () => {
    const t0 = Date.now();
    storeEvents(getDb(), failures(1, t0));
    const id = incidentId();
    await snoozeIncident(id, { hours: 5 }, by, t0);
    let now = t0;
    const stop = scheduleIncidentTimers(getDb(), { everyMs: 20, clock: () => now });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(getIncident(getDb().sqlite, id).status).toBe("snoozed");
      now = t0 + 5 * HOUR;
      await vi.waitFor(() => expect(getIncident(getDb().sqlite, id).status).toBe("open"), { timeout: 2000, interval: 20 });
    } finally {
      stop();
    }
  });
});
