import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, getEngine } from "@/db/client";
import { copySqliteToPostgres } from "@/db/copy";
import type { Param } from "@/db/engine";
import type { PgEngine } from "@/db/pg/engine";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { ENGINES, setupEngineDatabases, type EngineName } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearIntakeTables, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { changePlan, sendPlan } from "./actions";
import { createPlan } from "./create-plan";
import { getPlan, listPlans, type PlanDetail } from "./plans";
import { updateRedeploySettings } from "./settings";
import { holdLock } from "@/lib/testing/hold-lock";

// The plan verbs (create, get, list, send, pause, resume, cancel) on SQLite and PostgreSQL, then
// races on PostgreSQL between pooled connections. No worker runs here (lib/redeploy/redeploy.test.ts
// sends through a fake Treble on SQLite): a sent plan stays `sending` with its batches pending.
//
// Failures are stored into SQLite; on PostgreSQL they are then copied over as `npm run db:copy`
// does, so both engines hold the same rows, with the same ids, for a plan's contact selection (the
// read path) and the engine's own reads (an incident's existence, the "do not contact" check at send).
const databases = setupEngineDatabases({
  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  WEBHOOK_SIGNING_SECRET: undefined,
  TREBLE_API_KEY: "ak_test_0123456789abcdef",
  REDEPLOY_MAX_CONTACTS: "600",
  LOG_LEVEL: "silent",
});
afterAll(() => databases.cleanup());

const NOW = Date.now();
const by = { actor: { id: null, email: "op@test.example" }, ip: "10.0.0.7" };
const other = { actor: { id: null, email: "other@test.example" }, ip: "10.0.0.8" };

let current: EngineName;
let phones = 0;

/** Stores failures through ingest (see above); returns each one's cellphone. */
async function ingest(n: number, fields: { reason: string; template: string; poll?: string | null; minutesAgo?: number; cellphones?: string[] }): Promise<string[]> {
  const cellphones = fields.cellphones ?? Array.from({ length: n }, () => String(3000000000 + ++phones));
  const at = NOW - (fields.minutesAgo ?? 60) * 60_000;
  const events = cellphones.map((cellphone) => {
    const event = failureEvent({
      timestamp: new Date(at).toISOString(),
      failure_reason: fields.reason,
      hsm: { name: fields.template },
      user: { country_code: "57", cellphone },
      poll_id: fields.poll === undefined ? "poll-1" : fields.poll,
      user_session_keys: [{ key: "name", value: `Client ${cellphone}` }],
    });
    if (fields.poll === null) delete event.poll_id;
    return prepareEvent(event, JSON.stringify(event), Date.now());
  });
  storeEvents(getDb(), events);
  if (current === "postgres") {
    const report = await copySqliteToPostgres({ from: process.env.DATABASE_PATH!, to: (getEngine() as PgEngine).pool.options.connectionString! });
    for (const table of ["raw_events", "failures", "incidents"]) expect(report.mismatched.map((t) => t.table)).not.toContain(table);
  }
  return cellphones;
}

const count = async (sql: string, params: Param[] = []) => (await getEngine().one<{ n: number }>(sql, params))!.n;
const auditOf = async (planId: number) =>
  getEngine().query<{ action: string; actor_email: string; detail: string | null }>("SELECT action, actor_email, detail FROM audit_log WHERE target = ? ORDER BY id", [`plan #${planId}`]);
const claimsOf = (planId: number) => count("SELECT count(*) AS n FROM redeploy_retried WHERE plan_id = ?", [planId]);
const statusOf = async (planId: number) => (await getEngine().one<{ status: string }>("SELECT status FROM redeploy_plans WHERE id = ?", [planId]))!.status;

/** The ConflictError `act` throws, or fails the test. */
async function conflictOf(act: Promise<unknown>): Promise<ConflictError> {
  const err = await act.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConflictError);
  return err as ConflictError;
}

describe.each(ENGINES)("re-deployment plans on %s", (engine) => {
  beforeAll(async () => {
    await databases.use(engine);
    current = engine;
    // The other engine's run left its rows in the SQLite file; each run starts from none.
    clearIntakeTables();
    getDb().sqlite.exec("DELETE FROM audit_log; DELETE FROM settings");
  }, CLUSTER_START_TIMEOUT_MS);

  it("creates a draft from a filter: exactly who would be sent, ≤ 500 per batch and one poll per batch, samples; one audit row; read back by get and list", async () => {
    const a = await ingest(503, { reason: "FAILURE_BY_TIER_CAPACITY", template: "create_a", poll: "poll-A" });
    const b = await ingest(4, { reason: "FAILURE", template: "create_a", poll: "poll-B" });
    await ingest(2, { reason: "FAILURE_BY_OPTOUT_CONTACT", template: "create_elsewhere", cellphones: a.slice(0, 2), minutesAgo: 600 });
    const noPoll = await ingest(3, { reason: "FAILURE", template: "create_a", poll: null });
    await ingest(2, { reason: "MISSING_PARAMETER", template: "create_a", poll: "poll-A" });

    const plan = await createPlan({ filter: { template: "create_a", range: "24h" } }, by, NOW);
    expect(plan).toMatchObject({
      status: "draft",
      source: { filter: { template: "create_a", range: "24h" } },
      include: ["retry_later"],
      sendAt: "now",
      contacts: 501 + 4,
      withoutPoll: 3,
      excluded: { doNotContact: 2, alreadyRetried: 0, noPhone: 0 },
      byPoll: [
        { pollId: "poll-A", contacts: 501, batches: 2 },
        { pollId: "poll-B", contacts: 4, batches: 1 },
      ],
      byReason: [
        { reason: "FAILURE_BY_TIER_CAPACITY", contacts: 501 },
        { reason: "FAILURE", contacts: 4 },
      ],
      byLine: [{ line: "+573001112233", contacts: 505 }],
      createdBy: "op@test.example",
      createdAt: new Date(NOW).toISOString(),
      progress: { batches: 3, byStatus: { pending: 3 }, contactsSent: 0, contactsSkipped: 0 },
      followUp: { contacts: 0, failures: 0, byReason: [] },
    });
    expect(plan.sample).toHaveLength(20);
    expect(plan.withoutPollSample.map((s) => s.cellphone).sort()).toEqual(noPoll.sort());
    expect(plan.batches.map((x) => [x.seq, x.pollId, x.size, x.status])).toEqual([
      [1, "poll-A", 500, "pending"],
      [2, "poll-A", 1, "pending"],
      [3, "poll-B", 4, "pending"],
    ]);

    const stored = await getEngine().query<{ cellphone: string; batch_seq: number | null; session_keys: string; eta: number | null; line: string }>(
      "SELECT cellphone, batch_seq, session_keys, eta, line FROM redeploy_contacts WHERE plan_id = ?",
      [plan.id],
    );
    expect(stored).toHaveLength(505 + 3);
    expect(stored.filter((c) => c.batch_seq !== null).map((c) => c.cellphone).sort()).toEqual([...a.slice(2), ...b].sort());
    expect(stored.filter((c) => c.batch_seq === null).map((c) => c.cellphone).sort()).toEqual(noPoll.sort());
    const one = stored.find((c) => c.cellphone === b[0])!;
    expect(one).toMatchObject({ batch_seq: 3, eta: null, line: "+573001112233" });
    expect(JSON.parse(one.session_keys)).toContainEqual({ key: "name", value: `Client ${b[0]}` });

    expect(await auditOf(plan.id)).toEqual([
      {
        action: "redeploy_plan_created",
        actor_email: "op@test.example",
        detail: "505 contacts in 3 batches from filter template=create_a&range=24h; excluded 2 do-not-contact, 0 already retried; 3 without poll_id",
      },
    ]);
    expect(await getPlan(plan.id)).toEqual(plan);
    const listed = await listPlans({});
    expect(listed.items[0]).toMatchObject({ id: plan.id, contacts: 505, progress: { batches: 3 } });
    expect(listed.items[0]).not.toHaveProperty("sample");
    expect(listed.items[0]).not.toHaveProperty("withoutPollSample");
  });

  it("creates a plan from an incident, waiting out the 24 h window when asked; refuses an unknown incident, bad input and too many contacts", async () => {
    await ingest(3, { reason: "FAILURE_BY_TIER_CAPACITY", template: "create_incident", poll: "poll-I", minutesAgo: 120 });
    const { id: incidentId } = (await getEngine().one<{ id: number }>("SELECT id FROM incidents WHERE template_key = 'create_incident'"))!;
    const plan = await createPlan({ incidentId, sendAt: "earliest" }, by, NOW);
    expect(plan).toMatchObject({ source: { incidentId }, contacts: 3, sendAt: "earliest" });
    const eta = Math.ceil((NOW - 120 * 60_000 + 24 * 3_600_000) / 1000);
    expect(plan.sample.map((s) => s.eta)).toEqual(Array(3).fill(new Date(eta * 1000).toISOString()));
    expect(await count("SELECT count(*) AS n FROM redeploy_contacts WHERE plan_id = ? AND eta = ?", [plan.id, eta])).toBe(3);

    await expect(createPlan({ incidentId: incidentId + 1000 }, by, NOW)).rejects.toBeInstanceOf(NotFoundError);
    await expect(createPlan({ filter: {}, incidentId }, by, NOW)).rejects.toMatchObject({ details: [{ path: "filter" }] });
    await expect(createPlan({ filter: {}, include: ["do_not_contact"] }, by, NOW)).rejects.toMatchObject({ details: [{ path: "include.0" }] });
    await ingest(601, { reason: "FAILURE", template: "create_big", poll: "poll-big" });
    await expect(createPlan({ filter: { template: "create_big" } }, by, NOW)).rejects.toMatchObject({ code: "too_many_contacts", status: 400 });
    expect(await count("SELECT count(*) AS n FROM redeploy_plans WHERE source LIKE '%create_big%'")).toBe(0);
  });

  it("sends only with the count typed; claims its contacts in the same transaction, audited; a second send, or another plan holding them, is a 409", async () => {
    await ingest(3, { reason: "FAILURE", template: "send_twice", poll: "poll-T" });
    const first = await createPlan({ filter: { template: "send_twice" } }, by, NOW);
    const second = await createPlan({ filter: { template: "send_twice" } }, other, NOW);
    expect([first.contacts, second.contacts]).toEqual([3, 3]);

    const wrong = await sendPlan(first.id, { confirm: 2 }, by).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(InvalidInputError);
    expect(wrong).toMatchObject({ code: "confirmation_mismatch", details: [{ path: "confirm", message: "must equal 3" }] });
    expect(await statusOf(first.id)).toBe("draft");

    const sent = await sendPlan(first.id, { confirm: 3 }, by, NOW + 1000);
    expect(sent).toMatchObject({ status: "sending", sentBy: "op@test.example", sentAt: new Date(NOW + 1000).toISOString(), error: null });
    expect(await claimsOf(first.id)).toBe(3);
    const again = await conflictOf(sendPlan(first.id, { confirm: 3 }, by));
    expect(again.message).toBe(`Plan #${first.id} is sending: only draft plans can be sent.`);
    expect(again.current).toMatchObject({ id: first.id, status: "sending" });

    const taken = await conflictOf(sendPlan(second.id, { confirm: 3 }, other));
    expect(taken.message).toContain("3 of this plan's contacts were re-deployed by another plan");
    expect(await statusOf(second.id)).toBe("draft");
    expect(await claimsOf(second.id)).toBe(0);
    expect((await auditOf(first.id)).map((r) => [r.action, r.detail])).toEqual([
      ["redeploy_plan_created", expect.any(String)],
      ["redeploy_plan_sent", "3 contacts confirmed"],
    ]);
    expect((await auditOf(second.id)).map((r) => r.action)).toEqual(["redeploy_plan_created"]);
  });

  it('a "do not contact" failure after the dry run blocks the send, and nothing is claimed', async () => {
    const cellphones = await ingest(2, { reason: "FAILURE", template: "send_late_dnc", poll: "poll-L" });
    const plan = await createPlan({ filter: { template: "send_late_dnc" } }, by, NOW);
    await ingest(1, { reason: "FAILURE_BY_BLOCKED_CONTACT", template: "elsewhere", cellphones: [cellphones[0]!], minutesAgo: 1 });
    const refused = await conflictOf(sendPlan(plan.id, { confirm: 2 }, by));
    expect(refused.message).toContain('1 of this plan\'s contacts got a "do not contact" failure since the dry run');
    expect(await statusOf(plan.id)).toBe("draft");
    expect(await claimsOf(plan.id)).toBe(0);
  });

  it("pause, resume and cancel only from the states PLAN_TRANSITIONS allows (409 with the plan as it is); cancelling closes unsent batches and releases the claims", async () => {
    await ingest(4, { reason: "FAILURE", template: "change", poll: "poll-C" });
    const plan = await createPlan({ filter: { template: "change" } }, by, NOW);
    expect((await conflictOf(changePlan("pause", plan.id, by))).message).toBe(`Plan #${plan.id} is draft: only sending plans can be paused.`);
    await sendPlan(plan.id, { confirm: 4 }, by);

    expect(await changePlan("pause", plan.id, by)).toMatchObject({ status: "paused" });
    expect((await conflictOf(changePlan("pause", plan.id, by))).current).toMatchObject({ status: "paused" });
    expect(await changePlan("resume", plan.id, by)).toMatchObject({ status: "sending", error: null });
    expect((await conflictOf(changePlan("resume", plan.id, by))).message).toBe(`Plan #${plan.id} is sending: only paused plans can be resumed.`);

    const cancelled = await changePlan("cancel", plan.id, other, NOW + 5000);
    expect(cancelled).toMatchObject({ status: "cancelled", finishedAt: new Date(NOW + 5000).toISOString(), progress: { byStatus: { not_sent: 1, pending: 0 } } });
    expect(cancelled.batches[0]).toMatchObject({ status: "not_sent", message: "Plan cancelled by other@test.example." });
    expect(await claimsOf(plan.id)).toBe(0);
    expect((await conflictOf(changePlan("cancel", plan.id, by))).current).toMatchObject({ status: "cancelled" });
    expect((await conflictOf(sendPlan(plan.id, { confirm: 4 }, by))).current).toMatchObject({ status: "cancelled" });
    // Never sent, so another plan may take its contacts.
    const next = await createPlan({ filter: { template: "change" } }, by, NOW);
    expect((await sendPlan(next.id, { confirm: 4 }, by)).status).toBe("sending");

    expect((await auditOf(plan.id)).map((r) => [r.action, r.actor_email])).toEqual([
      ["redeploy_plan_created", "op@test.example"],
      ["redeploy_plan_sent", "op@test.example"],
      ["redeploy_plan_paused", "op@test.example"],
      ["redeploy_plan_resumed", "op@test.example"],
      ["redeploy_plan_cancelled", "other@test.example"],
    ]);
  });

  it("lists newest first in keyset pages; an unknown plan is a 404 and a bad id a 400 naming it", async () => {
    const { items: all } = await listPlans({ limit: "200" });
    expect(all.length).toBeGreaterThan(3);
    const ids = all.map((p) => p.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const page1 = await listPlans({ limit: "2" });
    expect(page1.items.map((p) => p.id)).toEqual(ids.slice(0, 2));
    const page2 = await listPlans({ limit: "2", before: String(page1.nextBefore) });
    expect(page2.items.map((p) => p.id)).toEqual(ids.slice(2, 4));
    expect((await listPlans({ limit: "200", before: String(ids.at(-1)) })).nextBefore).toBeNull();

    const unknown = ids[0]! + 1000;
    await expect(getPlan(unknown)).rejects.toBeInstanceOf(NotFoundError);
    await expect(sendPlan(unknown, { confirm: 1 }, by)).rejects.toBeInstanceOf(NotFoundError);
    await expect(changePlan("cancel", unknown, by)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getPlan("abc")).rejects.toMatchObject({ status: 400, details: [{ path: "id" }] });
    await expect(listPlans({ limit: "0" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("when an admin disables re-deployment, create and send answer 409; cancelling still works", async () => {
    await ingest(2, { reason: "FAILURE", template: "disabled", poll: "poll-D" });
    const draft = await createPlan({ filter: { template: "disabled" } }, by, NOW);
    await updateRedeploySettings({ enabled: false }, by);
    try {
      expect((await conflictOf(createPlan({ filter: { template: "disabled" } }, by))).message).toContain("disabled by an admin");
      expect((await conflictOf(sendPlan(draft.id, { confirm: 2 }, by))).message).toContain("disabled by an admin");
      expect(await changePlan("cancel", draft.id, by)).toMatchObject({ status: "cancelled" });
    } finally {
      await updateRedeploySettings({ enabled: true }, by);
    }
  });
});

describe("on PostgreSQL: races between pooled connections", () => {
  beforeAll(async () => {
    await databases.use("postgres");
    current = "postgres";
  }, CLUSTER_START_TIMEOUT_MS);

  const waiting = async (statement: string) =>
    (await getEngine().one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ?",
      [`${statement}%`],
    ))!.n;

  type Outcome = { outcome: "won"; plan: PlanDetail } | { outcome: "conflict"; error: ConflictError };

  /**
   * Starts both contenders while a third connection holds a lock (taken by `hold`), waits until
   * PostgreSQL shows both contenders' `statement` waiting on a lock — two transactions open at
   * once, the overlap proven — then ends the holder's transaction (rolled back with `rollback`).
   */
  async function raceOnHeldLock(hold: [sql: string, params: Param[]], statement: string, contenders: Array<() => Promise<PlanDetail>>, rollback = false): Promise<Outcome[]> {
    const held = await holdLock(getEngine(), (tx) => tx.query(...hold), { rollBack: rollback });
    const outcomes = contenders.map((act) =>
      act().then(
        (plan): Outcome => ({ outcome: "won", plan }),
        (err: unknown): Outcome => {
          if (!(err instanceof ConflictError)) throw err;
          return { outcome: "conflict", error: err };
        },
      ),
    );
    await expect.poll(() => waiting(statement), { timeout: 10_000, interval: 20 }).toBe(contenders.length);
    await held.release();
    return Promise.all(outcomes);
  }

  const holdPlan = (id: number): [string, Param[]] => ["SELECT id FROM redeploy_plans WHERE id = ? FOR UPDATE", [id]];

  it("two sends of one draft at once: one sends, the other gets a 409 with the plan sending; claimed and audited once", async () => {
    await ingest(3, { reason: "FAILURE", template: "race_send", poll: "poll-RS" });
    const plan = await createPlan({ filter: { template: "race_send" } }, by);
    const results = await raceOnHeldLock(holdPlan(plan.id), "UPDATE redeploy_plans SET", [
      () => sendPlan(plan.id, { confirm: 3 }, by),
      () => sendPlan(plan.id, { confirm: 3 }, other),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    const won = results.find((r) => r.outcome === "won")!.plan;
    const lost = results.find((r) => r.outcome === "conflict")!.error;
    expect(lost.current).toMatchObject({ status: "sending", sentBy: won.sentBy });
    expect(await claimsOf(plan.id)).toBe(3);
    expect((await auditOf(plan.id)).map((r) => [r.action, r.actor_email])).toEqual([
      ["redeploy_plan_created", "op@test.example"],
      ["redeploy_plan_sent", won.sentBy],
    ]);
  });

  it("two cancels at once: one cancels, the other gets a 409 with the plan cancelled; audited once", async () => {
    await ingest(2, { reason: "FAILURE", template: "race_cancel", poll: "poll-RC" });
    const plan = await createPlan({ filter: { template: "race_cancel" } }, by);
    const results = await raceOnHeldLock(holdPlan(plan.id), "UPDATE redeploy_plans SET", [() => changePlan("cancel", plan.id, by), () => changePlan("cancel", plan.id, other)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    expect(results.find((r) => r.outcome === "conflict")!.error.current).toMatchObject({ status: "cancelled" });
    expect((await auditOf(plan.id)).filter((r) => r.action === "redeploy_plan_cancelled")).toHaveLength(1);
  });

  it("two drafts holding the same contacts sent at once: the first claim wins, the other is a 409 and stays a draft with nothing claimed", async () => {
    await ingest(3, { reason: "FAILURE", template: "race_claim", poll: "poll-RX" });
    const first = await createPlan({ filter: { template: "race_claim" } }, by);
    const second = await createPlan({ filter: { template: "race_claim" } }, other);
    // The holder claims the first contact in the order both sends claim them, then rolls back.
    const { contact: lowest } = (await getEngine().one<{ contact: string }>("SELECT contact FROM redeploy_contacts WHERE plan_id = ? ORDER BY contact LIMIT 1", [first.id]))!;
    const results = await raceOnHeldLock(
      ["INSERT INTO redeploy_retried (contact, poll_id, reason, plan_id) VALUES (?, 'poll-RX', 'FAILURE', 0)", [lowest]],
      "INSERT INTO redeploy_retried",
      [() => sendPlan(first.id, { confirm: 3 }, by), () => sendPlan(second.id, { confirm: 3 }, other)],
      true,
    );
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    const won = results.find((r) => r.outcome === "won")!.plan;
    const lostId = won.id === first.id ? second.id : first.id;
    expect(results.find((r) => r.outcome === "conflict")!.error.message).toContain("3 of this plan's contacts were re-deployed by another plan");
    expect([await statusOf(won.id), await statusOf(lostId)]).toEqual(["sending", "draft"]);
    expect([await claimsOf(won.id), await claimsOf(lostId)]).toEqual([3, 0]);
  });
});
