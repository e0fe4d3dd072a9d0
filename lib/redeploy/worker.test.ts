import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, getEngine } from "@/db/client";
import { copySqliteToPostgres } from "@/db/copy";
import { PgEngine } from "@/db/pg/engine";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { leaseOwner } from "@/lib/ops/lease-owner";
import { ENGINES, setupEngineDatabases, type EngineName } from "@/lib/testing/engine-databases";
import { startFakeTreble, type ReceivedCall } from "@/lib/testing/fake-treble";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { until } from "@/lib/testing/until";
import { changePlan, sendPlan } from "./actions";
import { createPlan } from "./create-plan";
import { getPlan, type PlanDetail } from "./plans";
import { startRedeployWorker, type RedeployWorkerOptions } from "./worker";
import { gate, holdLock } from "@/lib/testing/hold-lock";

// The sending worker against a fake Treble on loopback, on SQLite and PostgreSQL, then several
// workers (instances: their own pools and lease owners) on one PostgreSQL database.
//
// Failures are stored into SQLite; on PostgreSQL they are then copied over as `npm run db:copy`
// does. Each test uses templates, polls and phones of its own.
const fake = await startFakeTreble();
const databases = setupEngineDatabases({
  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  WEBHOOK_SIGNING_SECRET: undefined,
  TREBLE_API_URL: fake.url,
  TREBLE_API_KEY: fake.apiKey,
  TREBLE_API_TIMEOUT_MS: "1500",
  LOG_LEVEL: "silent",
});
afterAll(async () => {
  await fake.close();
  await databases.cleanup();
});

const by = { actor: { id: null, email: "op@test.example" }, ip: null };
let current: EngineName;
let phones = 0;

/** A sent plan of `perPoll` contacts on each of `polls` (one batch per poll); returns it and its phones. */
async function sentPlan(template: string, polls: string[], perPoll = 2): Promise<{ plan: PlanDetail; phones: string[] }> {
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const cellphones: string[] = [];
  const events = polls.flatMap((poll) =>
    Array.from({ length: perPoll }, () => {
      cellphones.push(String(3200000000 + ++phones));
      const event = failureEvent({ timestamp: at, failure_reason: "FAILURE", hsm: { name: template }, user: { country_code: "57", cellphone: cellphones.at(-1)! }, poll_id: poll });
      return prepareEvent(event, JSON.stringify(event), Date.now());
    }),
  );
  storeEvents(getDb(), events);
  if (current === "postgres") await copySqliteToPostgres({ from: process.env.DATABASE_PATH!, to: databases.postgresUrl() });
  const draft = await createPlan({ filter: { template } }, by);
  expect(draft.batches.map((b) => b.pollId)).toEqual(polls);
  const plan = await sendPlan(draft.id, { confirm: draft.contacts }, by);
  return { plan, phones: cellphones };
}

const ended = (planId: number) => until(`plan #${planId} to end`, async () => {
  const plan = await getPlan(planId);
  return ["done", "failed"].includes(plan.status) && plan;
});
const leaseOf = async (planId: number) => (await getEngine().one<{ lease_owner: string | null; lease_until: number | null }>("SELECT lease_owner, lease_until FROM redeploy_plans WHERE id = ?", [planId]))!;
const callsOf = (polls: string[]) => fake.calls.filter((c) => polls.includes(c.pollId));
const phonesOf = (calls: ReceivedCall[]) => calls.flatMap((c) => c.users.map((u) => u.cellphone));

/** A batch left `sending` under a lease (a worker that stopped mid-call), as a crash leaves it. */
async function interrupt(planId: number, owner: string, leaseUntil: number): Promise<void> {
  await getEngine().exec("UPDATE redeploy_plans SET lease_owner = ?, lease_until = ? WHERE id = ?", [owner, leaseUntil, planId]);
  await getEngine().exec("UPDATE redeploy_batches SET status = 'sending', attempts = 1 WHERE plan_id = ? AND seq = 1", [planId]);
}

describe.each(ENGINES)("the re-deployment worker on %s", (engine) => {
  beforeAll(async () => {
    await databases.use(engine);
    current = engine;
  }, CLUSTER_START_TIMEOUT_MS);

  it("sends each batch of a sent plan once, in order, records Treble's answers and leaves no lease", async () => {
    const polls = [`${engine}-s1`, `${engine}-s2`, `${engine}-s3`];
    const { plan, phones: expected } = await sentPlan(`${engine}_sends`, polls);
    const worker = startRedeployWorker({ pollMs: 20 });
    try {
      const done = await ended(plan.id);
      expect(done.status).toBe("done");
      expect(done.batches.map((b) => [b.status, b.attempts])).toEqual([["sent", 1], ["sent", 1], ["sent", 1]]);
      expect(done.progress.contactsSent).toBe(6);
    } finally {
      await worker.stop();
    }
    const calls = callsOf(polls);
    expect(calls.map((c) => c.pollId)).toEqual(polls);
    expect(phonesOf(calls).sort()).toEqual([...expected].sort());
    expect(await leaseOf(plan.id)).toEqual({ lease_owner: null, lease_until: null });
  });

  it("a batch left sending under another instance's lease: nothing until the lease runs out, then that batch is marked unknown (never re-sent) and the rest sent", async () => {
    const polls = [`${engine}-g1`, `${engine}-g2`];
    const { plan, phones: expected } = await sentPlan(`${engine}_gone`, polls);
    const leaseUntil = Date.now() + 800;
    await interrupt(plan.id, "gone-instance", leaseUntil);
    const worker = startRedeployWorker({ pollMs: 20 });
    let failed: PlanDetail;
    try {
      failed = await ended(plan.id);
    } finally {
      await worker.stop();
    }
    const calls = callsOf(polls);
    expect(calls.map((c) => c.pollId)).toEqual([polls[1]]);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(leaseUntil);
    expect(phonesOf(calls).sort()).toEqual(expected.slice(2).sort());
    expect(failed.batches.map((b) => b.status)).toEqual(["unknown", "sent"]);
    expect(failed.batches[0]!.message).toContain("not sent again");
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("1 of unknown outcome");
  });

  it("an answer that arrives after the plan's lease passed to another instance is not recorded; whoever holds the plan next marks that batch unknown, never re-sent", async () => {
    const polls = [`${engine}-l1`, `${engine}-l2`];
    const { plan } = await sentPlan(`${engine}_lost`, polls);
    const answer = gate();
    const before = fake.calls.length;
    fake.behave((n) => (n === before + 1 ? { okWhen: answer.promise } : "ok"));
    const worker = startRedeployWorker({ pollMs: 20 });
    let failed: PlanDetail;
    try {
      await fake.waitForCalls(before + 1);
      // Another instance holds the plan now (this one's lease ran out while its call was slow).
      await getEngine().exec("UPDATE redeploy_plans SET lease_owner = 'other', lease_until = ? WHERE id = ?", [Date.now() + 60_000, plan.id]);
      answer.open();
      await until("the answer", async () => fake.calls[before]!.status === 200);
      await new Promise((r) => setTimeout(r, 200));
      const held = await getPlan(plan.id);
      expect(held.batches.map((b) => b.status)).toEqual(["sending", "pending"]);
      expect(held.progress.contactsSent).toBe(0);
      // The other instance's lease runs out with the batch still `sending`: whoever takes the plan marks it unknown.
      await getEngine().exec("UPDATE redeploy_plans SET lease_until = ? WHERE id = ?", [Date.now(), plan.id]);
      failed = await ended(plan.id);
    } finally {
      fake.behave(() => "ok");
      await worker.stop();
    }
    expect(callsOf(polls).map((c) => c.pollId)).toEqual(polls);
    expect(failed.batches.map((b) => b.status)).toEqual(["unknown", "sent"]);
  });

  it("a batch left sending in a plan paused or cancelled meanwhile is marked unknown once its sender's lease ran out", async () => {
    const { plan: paused } = await sentPlan(`${engine}_paused`, [`${engine}-p1`, `${engine}-p2`]);
    const { plan: cancelled } = await sentPlan(`${engine}_cancelled`, [`${engine}-c1`]);
    const leaseUntil = Date.now() + 500;
    for (const { id } of [paused, cancelled]) await interrupt(id, "gone-instance", leaseUntil);
    await changePlan("pause", paused.id, by);
    await changePlan("cancel", cancelled.id, by);
    const worker = startRedeployWorker({ pollMs: 20 });
    try {
      await until("the batches marked unknown", async () => (await getPlan(cancelled.id)).batches[0]!.status === "unknown" && Date.now());
      expect(Date.now()).toBeGreaterThanOrEqual(leaseUntil);
      expect((await getPlan(paused.id)).batches.map((b) => b.status)).toEqual(["unknown", "pending"]);
    } finally {
      await worker.stop();
    }
    expect((await getPlan(paused.id)).status).toBe("paused");
    expect(callsOf([`${engine}-p1`, `${engine}-p2`, `${engine}-c1`])).toEqual([]);
  });

  it("a lease under its own name (this process restarted: on SQLite always the same name) is taken back at once", async () => {
    const polls = [`${engine}-o1`, `${engine}-o2`];
    const { plan } = await sentPlan(`${engine}_own`, polls);
    const leaseUntil = Date.now() + 60_000;
    await interrupt(plan.id, leaseOwner(getEngine().dialect), leaseUntil);
    const worker = startRedeployWorker({ pollMs: 20 });
    try {
      expect((await ended(plan.id)).batches.map((b) => b.status)).toEqual(["unknown", "sent"]);
    } finally {
      await worker.stop();
    }
    expect(callsOf(polls).map((c) => c.pollId)).toEqual([polls[1]]);
    expect(Date.now()).toBeLessThan(leaseUntil);
  });
});

describe("several workers on one PostgreSQL database", () => {
  beforeAll(async () => {
    await databases.use("postgres");
    current = "postgres";
  }, CLUSTER_START_TIMEOUT_MS);

  /** A worker of its own instance: its own pool, its own lease owner. */
  function instance(owner: string, options: RedeployWorkerOptions = {}) {
    const pool = PgEngine.open(databases.postgresUrl());
    // Counts the worker's transactions on the real pool (when it has nothing to send, each is a claim).
    let transactions = 0;
    const counted = new Proxy(pool, {
      get(target, property) {
        if (property === "transaction") return (...args: Parameters<PgEngine["transaction"]>) => (transactions++, target.transaction(...args));
        const value: unknown = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { pool, worker: startRedeployWorker({ engine: counted, owner, pollMs: 20, ...options }), transactions: () => transactions };
  }

  const lockWaits = async () => (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))!.n;

  it("two instances at once: a plan locked by a third connection is passed over, one call in flight across the cluster, and every contact goes out exactly once", async () => {
    const pollsA = ["two-a1", "two-a2", "two-a3"];
    const pollsB = ["two-b1", "two-b2", "two-b3"];
    const first = await sentPlan("two_first", pollsA);
    const second = await sentPlan("two_second", pollsB);
    const answers = gate();
    fake.behave(() => ({ okWhen: answers.promise }));
    const before = fake.calls.length;
    const a = instance("a");
    let b: ReturnType<typeof instance> | undefined;
    try {
      // A starts while a third connection holds the first plan's row: it passes over it (SKIP
      // LOCKED) rather than waiting, and takes the second plan.
      const held = await holdLock(getEngine(), (tx) => tx.query("SELECT id FROM redeploy_plans WHERE id = ? FOR UPDATE", [first.plan.id]));
      try {
        await fake.waitForCalls(before + 1);
        expect(fake.calls[before]!.pollId).toBe(pollsB[0]);
        expect(await lockWaits()).toBe(0);
        expect(await leaseOf(first.plan.id)).toMatchObject({ lease_owner: null });
      } finally {
        await held.release();
      }
      // B starts while A's call is in flight: the first plan is free, but Treble's key has a call
      // in flight on A, so B keeps trying (its claims committed, counted by PostgreSQL) and calls nothing.
      b = instance("b");
      await until("B to try five claims", () => b!.transactions() >= 5);
      expect(fake.calls.length).toBe(before + 1);
      expect(fake.calls[before]!.status).toBeNull(); // A's call still in flight all along
      expect(await leaseOf(first.plan.id)).toMatchObject({ lease_owner: null });
      expect((await leaseOf(second.plan.id)).lease_owner).toBe("a");

      // Then both run on their timers, taking whichever plan is free after each batch.
      fake.behave(() => ({ okAfterMs: 30 }));
      answers.open();
      for (const { plan } of [first, second]) expect((await ended(plan.id)).status).toBe("done");
    } finally {
      fake.behave(() => "ok");
      await Promise.all([a.worker.stop(), b?.worker.stop()]);
      await Promise.all([a.pool.close(), b?.pool.close()]);
    }
    const calls = fake.calls.slice(before);
    const sent = phonesOf(calls);
    expect(sent).toHaveLength(12); // none twice
    expect([...sent].sort()).toEqual([...first.phones, ...second.phones].sort());
    for (const polls of [pollsA, pollsB]) expect(callsOf(polls).map((c) => c.pollId)).toEqual(polls);
    // One call at a time across both instances: each starts only after the previous one was answered.
    const byStart = [...calls].sort((x, y) => x.at - y.at);
    for (const [i, call] of byStart.entries()) if (i > 0) expect(call.at).toBeGreaterThanOrEqual(byStart[i - 1]!.answeredAt!);
    expect(new Set(await Promise.all([first, second].map(async ({ plan }) => (await leaseOf(plan.id)).lease_owner)))).toEqual(new Set([null]));
  });

  it("an instance that claims a plan and dies mid-call: another resumes it once the lease has run out, and no batch is sent twice", async () => {
    const polls = ["dies-1", "dies-2", "dies-3"];
    const { plan, phones: expected } = await sentPlan("dies", polls);
    const before = fake.calls.length;
    fake.behave((n) => (n === before + 1 ? "hang" : "ok"));
    const dying = instance("dying", { leaseMs: 1000 });
    await fake.waitForCalls(before + 1);
    // It dies: nothing more from it, and its connections are gone (the call it waits for never ends).
    void dying.worker.stop();
    await dying.pool.close();
    const lease = await leaseOf(plan.id);
    expect(lease.lease_owner).toBe("dying");

    const survivor = instance("survivor", { leaseMs: 1000 });
    let failed: PlanDetail;
    try {
      failed = await ended(plan.id);
    } finally {
      fake.behave(() => "ok");
      await survivor.worker.stop();
      await survivor.pool.close();
    }
    const calls = callsOf(polls);
    expect(calls.map((c) => c.pollId)).toEqual(polls);
    expect(calls[1]!.at).toBeGreaterThanOrEqual(lease.lease_until!);
    expect(phonesOf(calls).sort()).toEqual([...expected].sort()); // each contact once
    expect(failed.batches.map((b) => b.status)).toEqual(["unknown", "sent", "sent"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("1 of unknown outcome");
  });
});
