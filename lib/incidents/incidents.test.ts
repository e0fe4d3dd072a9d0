import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { getIncident, type IncidentItem } from "@/lib/queries/incidents";
import { failureEvent } from "@/lib/testing/fixtures";
import { clearIntakeTables, setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { acknowledgeIncident } from "./acknowledge";
import { ignoreIncident } from "./ignore";
import { reopenIncident } from "./reopen";
import { resolveIncident } from "./resolve";
import { snoozeIncident } from "./snooze";
import { canTake, INCIDENT_ACTION_NAMES, INCIDENT_TRANSITIONS, type IncidentAction } from "./transitions";
import { INCIDENT_STATUSES, type IncidentStatus } from "./statuses";
import { unsnoozeIncident } from "./unsnooze";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => tempDb.cleanup());
beforeEach(() => clearIntakeTables());

const by = { actor: { id: "u1", email: "op@test.example" }, ip: "10.0.0.1" };
const VERBS: Record<IncidentAction, typeof acknowledgeIncident> = {
  acknowledge: acknowledgeIncident,
  resolve: resolveIncident,
  reopen: reopenIncident,
  snooze: (id, body, who) => snoozeIncident(id, { ...(body as object), hours: 2 }, who),
  unsnooze: unsnoozeIncident,
  ignore: ignoreIncident,
};
/** Where each action leads, written out here rather than read from the machine under test. */
const EXPECTED_TARGET: Record<IncidentAction, IncidentStatus> = { acknowledge: "acknowledged", resolve: "resolved", reopen: "open", snooze: "snoozed", unsnooze: "open", ignore: "ignored" };

/** Stores failures of one (reason, line, template) through the ingest code; returns the incident id. */
function ingest(count = 1, overrides: Record<string, unknown> = {}): number {
  storeEvents(
    getDb(),
    Array.from({ length: count }, (_, i) => {
      const event = failureEvent({ user: { country_code: "57", cellphone: `30512345${String(i).padStart(2, "0")}` }, ...overrides });
      return prepareEvent(event, JSON.stringify(event), Date.now());
    }),
  );
  return (getDb().sqlite.prepare("SELECT max(id) AS id FROM incidents").get() as { id: number }).id;
}

const activity = (id: number) =>
  getDb().sqlite.prepare("SELECT actor, action, note, failure_id FROM incident_activity WHERE incident_id = ? ORDER BY id").all(id) as Array<{
    actor: string | null;
    action: string;
    note: string | null;
    failure_id: number | null;
  }>;
// The audit log outlives clearIntakeTables, so rows are picked by their target.
const audit = (id: number) =>
  getDb().sqlite.prepare("SELECT actor_email, action, target, detail, ip FROM audit_log WHERE target = ? ORDER BY id").all(`incident #${id}`);

function conflictOf(fn: () => unknown): ConflictError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConflictError);
    return err as ConflictError;
  }
  throw new Error("expected a ConflictError");
}

describe("the state machine", () => {
  it("allows exactly the transitions of the contract, for people and for the server", () => {
    const allowed = INCIDENT_ACTION_NAMES.flatMap((a) => INCIDENT_STATUSES.filter((s) => canTake(a, s)).map((s) => `${a}:${s}`));
    expect(allowed.sort()).toEqual([
      "acknowledge:open",
      "ignore:acknowledged",
      "ignore:open",
      "ignore:snoozed",
      "reopen:ignored",
      "reopen:resolved",
      "resolve:acknowledged",
      "resolve:open",
      "snooze:acknowledged",
      "snooze:open",
      "unsnooze:snoozed",
    ]);
    expect([...INCIDENT_ACTION_NAMES].sort()).toEqual(["acknowledge", "ignore", "reopen", "resolve", "snooze", "unsnooze"]);
    const system = (["regress", "autoResolve", "wake"] as const).flatMap((t) => INCIDENT_STATUSES.filter((s) => canTake(t, s)).map((s) => `${t}:${s}→${INCIDENT_TRANSITIONS[t].to}`));
    expect(system.sort()).toEqual(["autoResolve:acknowledged→resolved", "autoResolve:open→resolved", "regress:resolved→open", "wake:snoozed→open"]);
    // Nothing the server does by itself leaves "ignored".
    expect(Object.values(INCIDENT_TRANSITIONS).filter((t) => t.by === "system" && (t.from as readonly string[]).includes("ignored"))).toEqual([]);
  });

  for (const action of INCIDENT_ACTION_NAMES) {
    for (const status of INCIDENT_STATUSES) {
      it(`${action} on a ${status} incident ${canTake(action, status) ? "succeeds" : "is a conflict carrying the current state, writing nothing"}`, () => {
        const id = ingest();
        getDb().sqlite.prepare("UPDATE incidents SET status = ? WHERE id = ?").run(status, id);
        const verb = VERBS[action];
        if (canTake(action, status)) {
          const after = verb(id, { note: "n" }, by);
          expect(after.status).toBe(EXPECTED_TARGET[action]);
          expect(getIncident(getDb().sqlite, id).status).toBe(EXPECTED_TARGET[action]);
          expect(activity(id)).toHaveLength(1);
          expect(audit(id)).toHaveLength(1);
        } else {
          const err = conflictOf(() => verb(id, {}, by));
          expect((err.current as IncidentItem).status).toBe(status);
          expect((err.current as IncidentItem).id).toBe(id);
          expect(activity(id)).toEqual([]);
          expect(audit(id)).toEqual([]);
        }
      });
    }
  }

  it("records who and when: acknowledge resets new-since-ack, resolve keeps the note, reopen counts", () => {
    const id = ingest(3);
    const acked = acknowledgeIncident(id, { note: "  looking  " }, by);
    expect(acked).toMatchObject({ status: "acknowledged", acknowledgedBy: "op@test.example", newSinceAck: 0, count: 3, contacts: 3 });
    expect(Date.parse(acked.acknowledgedAt!)).toBeGreaterThan(Date.now() - 5000);
    ingest(2);
    expect(getIncident(getDb().sqlite, id)).toMatchObject({ status: "acknowledged", newSinceAck: 2, count: 5 });

    const resolved = resolveIncident(String(id), { note: "template resubmitted" }, by);
    expect(resolved).toMatchObject({ status: "resolved", resolvedBy: "op@test.example", note: "template resubmitted", regressed: false });
    const reopened = reopenIncident(id, {}, by);
    expect(reopened).toMatchObject({ status: "open", reopenedCount: 1, regressed: false });

    expect(activity(id)).toEqual([
      { actor: "op@test.example", action: "acknowledged", note: "looking", failure_id: null },
      { actor: "op@test.example", action: "resolved", note: "template resubmitted", failure_id: null },
      { actor: "op@test.example", action: "reopened", note: null, failure_id: null },
    ]);
    expect(audit(id)).toEqual([
      { actor_email: "op@test.example", action: "incident_acknowledged", target: `incident #${id}`, detail: "looking", ip: "10.0.0.1" },
      { actor_email: "op@test.example", action: "incident_resolved", target: `incident #${id}`, detail: "template resubmitted", ip: "10.0.0.1" },
      { actor_email: "op@test.example", action: "incident_reopened", target: `incident #${id}`, detail: null, ip: "10.0.0.1" },
    ]);
  });

  it("a failure after resolve reopens the incident as regressed, citing that failure; resolving again clears it", () => {
    const id = ingest(2);
    resolveIncident(id, {}, by);
    // A batch of three failures: one regression, recorded with the first of them.
    ingest(3);
    const failureIds = getDb().sqlite.prepare("SELECT id FROM failures WHERE incident_id = ? ORDER BY id").pluck().all(id) as number[];
    const detail = getIncident(getDb().sqlite, id);
    expect(detail).toMatchObject({ status: "open", regressed: true, reopenedCount: 1, count: 5 });
    expect(detail.activity[0]).toMatchObject({ action: "regressed", actor: null, failureId: failureIds[2] });
    expect(activity(id).filter((a) => a.action === "regressed")).toHaveLength(1);

    // Regressed incidents are open: they can be acknowledged, and resolving clears the mark.
    expect(acknowledgeIncident(id, {}, by).regressed).toBe(true);
    expect(resolveIncident(id, {}, by).regressed).toBe(false);
  });

  it("an acknowledged incident stays acknowledged when failures arrive", () => {
    const id = ingest();
    acknowledgeIncident(id, {}, by);
    ingest(4);
    expect(getIncident(getDb().sqlite, id)).toMatchObject({ status: "acknowledged", newSinceAck: 4, regressed: false });
  });

  it("refuses an unknown id (404) and bad input (400, naming the field)", () => {
    expect(() => acknowledgeIncident(999_999, {}, by)).toThrow(NotFoundError);
    expect(() => acknowledgeIncident("abc", {}, by)).toThrow(InvalidInputError);
    const id = ingest();
    try {
      resolveIncident(id, { note: 42 }, by);
      throw new Error("expected InvalidInputError");
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).details?.[0]?.path).toBe("note");
    }
    expect(() => resolveIncident(id, { note: "x".repeat(2001) }, by)).toThrow(/note/);
    expect(getIncident(getDb().sqlite, id).status).toBe("open");
  });
});
