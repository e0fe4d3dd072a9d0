import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, getEngine } from "@/db/client";
import { runSteps } from "@/db/steps";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { getIncident, toIncidentItem, type IncidentItem } from "@/lib/queries/incidents";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearIntakeTables, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { acknowledgeIncident } from "./acknowledge";
import { readIncidentRow } from "./apply";
import { assignIncident, listAssignees } from "./assign";
import { bulkAction } from "./bulk";
import { commentOnIncident } from "./comment";
import { ignoreIncident } from "./ignore";
import { reopenIncident } from "./reopen";
import { resolveIncident } from "./resolve";
import { snoozeIncident } from "./snooze";
import { canTake, INCIDENT_ACTION_NAMES, INCIDENT_TRANSITIONS, type IncidentAction } from "./transitions";
import { INCIDENT_STATUSES, type IncidentStatus } from "./statuses";
import { unsnoozeIncident } from "./unsnooze";

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

const AT = Date.parse("2026-11-25T10:00:00Z");
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

let templates = 0;
/** An incident row as ingest leaves it (ingest is on SQLite only until step 4: written here directly); returns its id. */
async function addIncident(status: IncidentStatus = "open", failures = 1): Promise<number> {
  const row = await getEngine().one<{ id: number }>(
    "INSERT INTO incidents (reason, line_key, template_key, status, first_seen, last_seen, failures, contacts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    ["131026", "573001112233", `template_${++templates}`, status, AT, AT, failures, failures, AT],
  );
  return row!.id;
}

async function addUser(id: string, email: string, disabled = false): Promise<void> {
  await getEngine().exec("INSERT INTO users (id, name, email, email_verified, created_at, updated_at, role, disabled) VALUES (?, ?, ?, 0, ?, ?, 'operator', ?)", [id, `Name of ${id}`, email, AT, AT, disabled ? 1 : 0]);
}

const incident = async (id: number) => toIncidentItem((await readIncidentRow(getEngine(), id))!);
const activity = (id: number) =>
  getEngine().query<{ actor: string | null; action: string; note: string | null; failure_id: number | null }>(
    "SELECT actor, action, note, failure_id FROM incident_activity WHERE incident_id = ? ORDER BY id",
    [id],
  );
const audit = (id: number) => getEngine().query("SELECT actor_email, action, target, detail, ip FROM audit_log WHERE target = ? ORDER BY id", [`incident #${id}`]);

async function conflictOf(promise: Promise<unknown>): Promise<ConflictError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConflictError);
  return err as ConflictError;
}

describe.each(ENGINES)("the incident verbs on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    if (engine === "sqlite") clearIntakeTables();
    for (const table of ["incident_activity", "incidents", "audit_log", "users"]) await getEngine().exec(`DELETE FROM ${table}`);
  });

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
      it(`${action} on a ${status} incident ${canTake(action, status) ? "succeeds" : "is a conflict carrying the current state, writing nothing"}`, async () => {
        const id = await addIncident(status);
        const verb = VERBS[action];
        if (canTake(action, status)) {
          const after = await verb(id, { note: "n" }, by);
          expect(after.status).toBe(EXPECTED_TARGET[action]);
          expect((await incident(id)).status).toBe(EXPECTED_TARGET[action]);
          expect(await activity(id)).toHaveLength(1);
          expect(await audit(id)).toHaveLength(1);
        } else {
          const err = await conflictOf(verb(id, {}, by));
          expect((err.current as IncidentItem).status).toBe(status);
          expect((err.current as IncidentItem).id).toBe(id);
          expect(await activity(id)).toEqual([]);
          expect(await audit(id)).toEqual([]);
        }
      });
    }
  }

  it("records who and when: acknowledge resets new-since-ack, resolve keeps the note, reopen counts", async () => {
    const id = await addIncident("open", 3);
    await getEngine().exec("UPDATE incidents SET new_since_ack = 2 WHERE id = ?", [id]);
    const acked = await acknowledgeIncident(id, { note: "  looking  " }, by, AT + 1000);
    expect(acked).toMatchObject({ status: "acknowledged", acknowledgedBy: "op@test.example", acknowledgedAt: new Date(AT + 1000).toISOString(), newSinceAck: 0, count: 3, contacts: 3 });

    const resolved = await resolveIncident(String(id), { note: "template resubmitted" }, by);
    expect(resolved).toMatchObject({ status: "resolved", resolvedBy: "op@test.example", note: "template resubmitted", regressed: false });
    const reopened = await reopenIncident(id, {}, by);
    expect(reopened).toMatchObject({ status: "open", reopenedCount: 1, regressed: false });

    expect(await activity(id)).toEqual([
      { actor: "op@test.example", action: "acknowledged", note: "looking", failure_id: null },
      { actor: "op@test.example", action: "resolved", note: "template resubmitted", failure_id: null },
      { actor: "op@test.example", action: "reopened", note: null, failure_id: null },
    ]);
    expect(await audit(id)).toEqual([
      { actor_email: "op@test.example", action: "incident_acknowledged", target: `incident #${id}`, detail: "looking", ip: "10.0.0.1" },
      { actor_email: "op@test.example", action: "incident_resolved", target: `incident #${id}`, detail: "template resubmitted", ip: "10.0.0.1" },
      { actor_email: "op@test.example", action: "incident_reopened", target: `incident #${id}`, detail: null, ip: "10.0.0.1" },
    ]);
  });

  it("snooze stores what wakes it and says so in the activity; leaving snoozed clears it", async () => {
    const id = await addIncident();
    const snoozed = await snoozeIncident(id, { failures: 1, note: "campaign paused" }, by);
    expect(snoozed).toMatchObject({ status: "snoozed", snooze: { until: null, failuresLeft: 1, untilEscalating: false } });
    expect(await unsnoozeIncident(id, {}, by)).toMatchObject({ status: "open", snooze: null });
    const row = await readIncidentRow(getEngine(), id);
    expect(row).toMatchObject({ snooze_until: null, snooze_failures_left: null, snooze_until_escalating: 0 });
    expect((await activity(id)).map((a) => [a.action, a.note])).toEqual([
      ["snoozed", "until 1 more failure — campaign paused"],
      ["unsnoozed", null],
    ]);
  });

  it("refuses an unknown id (404) and bad input (400, naming the field), writing nothing", async () => {
    await expect(acknowledgeIncident(999_999, {}, by)).rejects.toBeInstanceOf(NotFoundError);
    await expect(acknowledgeIncident("abc", {}, by)).rejects.toBeInstanceOf(InvalidInputError);
    const id = await addIncident();
    const err = await resolveIncident(id, { note: 42 }, by).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).details?.[0]?.path).toBe("note");
    await expect(resolveIncident(id, { note: "x".repeat(2001) }, by)).rejects.toThrow(/note/);
    expect((await incident(id)).status).toBe("open");
    expect(await audit(id)).toEqual([]);
  });

  it("assigns to an enabled user, unassigns, and changes nothing when assigned so already; refuses unknown and disabled users", async () => {
    await addUser("u-ana", "ana@test.example");
    await addUser("u-off", "off@test.example", true);
    expect(await listAssignees()).toEqual([{ id: "u-ana", email: "ana@test.example", name: "Name of u-ana" }]);
    const id = await addIncident();
    expect((await assignIncident(id, { userId: "u-ana" }, by)).assignee).toEqual({ id: "u-ana", email: "ana@test.example", name: "Name of u-ana" });
    expect((await assignIncident(id, { userId: "u-ana" }, by)).assignee?.id).toBe("u-ana");
    expect((await assignIncident(id, { userId: null }, by)).assignee).toBeNull();
    for (const userId of ["nobody", "u-off"]) await expect(assignIncident(id, { userId }, by)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(assignIncident(999_999, { userId: "u-ana" }, by)).rejects.toBeInstanceOf(NotFoundError);
    expect((await activity(id)).map((a) => [a.action, a.note])).toEqual([
      ["assigned", "ana@test.example"],
      ["unassigned", null],
    ]);
    expect((await audit(id)).map((a) => (a as { action: string }).action)).toEqual(["incident_assigned", "incident_assigned"]);
  });

  it("comments: one activity entry and its audit row; an unknown incident is a 404", async () => {
    const id = await addIncident();
    const entry = await commentOnIncident(id, { text: " checked the template " }, by, AT);
    expect(entry).toEqual({ id: expect.any(Number), at: new Date(AT).toISOString(), actor: "op@test.example", action: "commented", note: "checked the template", failureId: null });
    expect(await activity(id)).toEqual([{ actor: "op@test.example", action: "commented", note: "checked the template", failure_id: null }]);
    expect(await audit(id)).toEqual([{ actor_email: "op@test.example", action: "incident_commented", target: `incident #${id}`, detail: "checked the template", ip: "10.0.0.1" }]);
    await expect(commentOnIncident(999_999, { text: "x" }, by)).rejects.toBeInstanceOf(NotFoundError);
    await expect(commentOnIncident(id, { text: "  " }, by)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("bulk: the same conditional UPDATE per incident, counting what changed and what was skipped; a dry run writes nothing", async () => {
    await addUser("u-ana", "ana@test.example");
    const open = await addIncident("open");
    const acked = await addIncident("acknowledged");
    const resolved = await addIncident("resolved");
    const ids = [resolved, open, acked, 999_999];
    expect(await bulkAction({ action: "acknowledge", ids, dryRun: true }, by)).toEqual({ updated: 1, skipped: 3 });
    expect(await activity(open)).toEqual([]);
    expect(await bulkAction({ action: "resolve", ids, note: "done" }, by)).toEqual({ updated: 2, skipped: 2 });
    expect([(await incident(open)).status, (await incident(acked)).status]).toEqual(["resolved", "resolved"]);
    expect(await audit(open)).toEqual([{ actor_email: "op@test.example", action: "incident_resolved", target: `incident #${open}`, detail: "done", ip: "10.0.0.1" }]);
    expect(await bulkAction({ action: "snooze", ids: [open, acked], snooze: { hours: 1 } }, by)).toEqual({ updated: 0, skipped: 2 });
    expect(await bulkAction({ action: "assign", ids, userId: "u-ana" }, by)).toEqual({ updated: 3, skipped: 1 });
    expect(await bulkAction({ action: "assign", ids, userId: "u-ana", dryRun: true }, by)).toEqual({ updated: 0, skipped: 4 });
    expect((await incident(resolved)).assignee?.email).toBe("ana@test.example");
  });
});

describe("the verbs and ingest (ingest is on SQLite until step 4)", () => {
  beforeAll(() => databases.use("sqlite"));
  beforeEach(() => clearIntakeTables());

  /** Stores failures of one (reason, line, template) through the ingest code; returns the incident id. */
  function ingest(count = 1): number {
    storeEvents(
      getDb(),
      Array.from({ length: count }, (_, i) => {
        const event = failureEvent({ user: { country_code: "57", cellphone: `30512345${String(i).padStart(2, "0")}` } });
        return prepareEvent(event, JSON.stringify(event), Date.now());
      }),
    );
    return getDb().sqlite.prepare("SELECT max(id) FROM incidents").pluck().get() as number;
  }

  it("a failure after resolve reopens the incident as regressed, citing that failure; resolving again clears it", async () => {
    const id = ingest(2);
    await resolveIncident(id, {}, by);
    // A batch of three failures: one regression, recorded with the first of them.
    ingest(3);
    const failureIds = getDb().sqlite.prepare("SELECT id FROM failures WHERE incident_id = ? ORDER BY id").pluck().all(id) as number[];
    const detail = runSteps(getDb().sqlite, getIncident(id));
    expect(detail).toMatchObject({ status: "open", regressed: true, reopenedCount: 1, count: 5 });
    expect(detail.activity[0]).toMatchObject({ action: "regressed", actor: null, failureId: failureIds[2] });
    expect((await activity(id)).filter((a) => a.action === "regressed")).toHaveLength(1);

    // Regressed incidents are open: they can be acknowledged, and resolving clears the mark.
    expect((await acknowledgeIncident(id, {}, by)).regressed).toBe(true);
    expect((await resolveIncident(id, {}, by)).regressed).toBe(false);
  });

  it("an acknowledged incident counts new failures and stays acknowledged; acknowledging again after a reopen resets the count", async () => {
    const id = ingest();
    await acknowledgeIncident(id, {}, by);
    ingest(4);
    expect(runSteps(getDb().sqlite, getIncident(id))).toMatchObject({ status: "acknowledged", newSinceAck: 4, regressed: false });
    await resolveIncident(id, {}, by);
    await reopenIncident(id, {}, by);
    expect((await acknowledgeIncident(id, {}, by)).newSinceAck).toBe(0);
  });
});
