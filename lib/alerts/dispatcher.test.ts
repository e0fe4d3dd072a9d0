import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { PgEngine } from "@/db/pg/engine";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { AlertReceiver } from "@/lib/testing/alert-receiver";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { createChannel } from "./channels";
import { AlertDispatcher, LEASE_MS, PACING_MS } from "./dispatcher";
import { templateNotification } from "./notification";
import { gate, holdLock } from "@/lib/testing/hold-lock";

// The dispatcher's leases, the same tests on SQLite and PostgreSQL against a real receiver on
// loopback; then several instances (each its own pool) on one PostgreSQL database.
const databases = setupEngineDatabases({ PUBLIC_URL: "https://faultline.example.com", LOG_LEVEL: "silent" });
const receiver = new AlertReceiver();
beforeAll(() => receiver.start());
afterAll(async () => {
  await receiver.stop();
  await databases.cleanup();
});

const SYSTEM = { actor: SYSTEM_ACTOR, ip: null };
const SHORT_LEASE_MS = 1000;

async function channel(type: "webhook" | "slack", path: string): Promise<number> {
  return (await createChannel({ type, name: path, url: receiver.url(path) }, SYSTEM)).id;
}

/** `count` deliveries due at `at` (inserted as the outbox does: no lease columns), oldest first. */
async function addDue(channelId: number, prefix: string, count: number, at: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `msg_${prefix}_${String(i).padStart(2, "0")}`);
  for (const [i, id] of ids.entries()) {
    const payload = JSON.stringify(templateNotification(`promo_${i}`, "PAUSED", null, at));
    await getEngine().exec(
      "INSERT INTO alert_deliveries (id, rule_id, channel_id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (?, NULL, ?, 'template.status_changed', ?, 'pending', 0, ?, ?)",
      [id, channelId, payload, at, at + i],
    );
  }
  return ids;
}

interface StoredDelivery {
  id: string;
  status: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  group_id: string | null;
}
const stored = () => getEngine().query<StoredDelivery>("SELECT id, status, attempts, lease_owner, lease_until, group_id FROM alert_deliveries ORDER BY id");
const channelLease = (id: number) => getEngine().one<{ lease_owner: string | null; lease_until: number | null }>("SELECT lease_owner, lease_until FROM alert_channels WHERE id = ?", [id]);
const sentIds = (path: string) => receiver.on(path).map((r) => r.headers["webhook-id"]);

async function pass(dispatcher: AlertDispatcher): Promise<void> {
  await dispatcher.tick();
  await dispatcher.idle();
}

async function until(predicate: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function clearAlerts(): Promise<void> {
  for (const table of ["alert_deliveries", "alert_channels", "audit_log"]) await getEngine().exec(`DELETE FROM ${table}`);
  receiver.requests.length = 0;
}

describe.each(ENGINES)("alert dispatcher on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(clearAlerts);

  it("sends every due delivery once under its id, in order, and leaves no lease behind", async () => {
    const hook = await channel("webhook", "/each");
    const at = Date.now();
    const ids = await addDue(hook, "each", 3, at);
    await pass(new AlertDispatcher(getEngine(), { now: () => at, owner: "one" }));
    expect(sentIds("/each")).toEqual(ids);
    expect(receiver.on("/each").every((r) => r.answered === 200)).toBe(true);
    expect((await stored()).map((d) => [d.status, d.attempts, d.lease_owner, d.lease_until])).toEqual(Array(3).fill(["delivered", 1, null, null]));
    // Released: no owner, free from the turn's start (webhooks are not paced).
    expect(await channelLease(hook)).toEqual({ lease_owner: null, lease_until: at });
  });

  it("groups a burst into one message and keeps the channel's pacing across instances", async () => {
    const slack = await channel("slack", "/paced");
    const at = Date.now();
    await addDue(slack, "burst", 7, at);
    let clock = at;
    const first = new AlertDispatcher(getEngine(), { now: () => clock, owner: "first" });
    const second = new AlertDispatcher(getEngine(), { now: () => clock, owner: "second" });
    await pass(first);
    expect(receiver.on("/paced")).toHaveLength(1);
    expect(receiver.on("/paced")[0]!.body).toContain("7 Faultline notifications");
    const burst = await stored();
    expect(burst.every((d) => d.status === "delivered" && d.lease_owner === null)).toBe(true);
    expect(new Set(burst.map((d) => d.group_id)).size).toBe(1);
    expect(await channelLease(slack)).toEqual({ lease_owner: null, lease_until: at + PACING_MS.slack });

    // Another instance finds the channel paced by the first one's message until a second has passed.
    await addDue(slack, "late", 1, at);
    clock = at + PACING_MS.slack - 1;
    await pass(second);
    expect(receiver.on("/paced")).toHaveLength(1);
    clock = at + PACING_MS.slack;
    await pass(second);
    expect(receiver.on("/paced")).toHaveLength(2);
    expect((await stored()).every((d) => d.status === "delivered")).toBe(true);
  });

  it("records a send's outcome only while it still holds the rows' lease", async () => {
    const hook = await channel("webhook", "/stolen");
    const answer = gate();
    receiver.script("/stolen", { status: 200, after: answer.promise });
    const at = Date.now();
    const [id] = await addDue(hook, "stolen", 1, at);
    const slow = new AlertDispatcher(getEngine(), { now: () => at, owner: "slow" });
    await slow.tick();
    await receiver.waitFor(() => receiver.on("/stolen").length === 1);
    expect((await stored())[0]).toMatchObject({ id, lease_owner: "slow", lease_until: at + LEASE_MS });
    // Meanwhile the lease passed to another instance (it ran out there, say).
    await getEngine().exec("UPDATE alert_deliveries SET lease_owner = 'other' WHERE id = ?", [id!]);
    answer.open();
    await slow.idle();
    expect((await stored())[0]).toMatchObject({ status: "pending", attempts: 0, lease_owner: "other" });
    // Nor does a third instance send it while that lease lasts (the channel itself is free again).
    await pass(new AlertDispatcher(getEngine(), { now: () => at, owner: "third" }));
    expect(receiver.on("/stolen")).toHaveLength(1);
  });

  it("sends a stopped instance's delivery from another instance under the same id once the lease has run out", async () => {
    const hook = await channel("webhook", "/taken");
    const answer = gate();
    receiver.script("/taken", { status: 200, after: answer.promise });
    const at = Date.now();
    const [id] = await addDue(hook, "taken", 1, at);
    const stopped = new AlertDispatcher(getEngine(), { now: () => at, owner: "stopped", leaseMs: SHORT_LEASE_MS });
    try {
      await stopped.tick();
      await receiver.waitFor(() => receiver.on("/taken").length === 1);
      stopped.stop();
      let clock = at + SHORT_LEASE_MS - 1;
      const other = new AlertDispatcher(getEngine(), { now: () => clock, owner: "other", leaseMs: SHORT_LEASE_MS });
      await pass(other);
      expect(receiver.on("/taken")).toHaveLength(1);
      clock = at + SHORT_LEASE_MS;
      await pass(other);
      expect(sentIds("/taken")).toEqual([id, id]);
      expect(receiver.on("/taken")[1]!.answered).toBe(200);
      expect((await stored())[0]).toMatchObject({ status: "delivered", attempts: 1, lease_owner: null });
    } finally {
      answer.open();
      await stopped.idle();
    }
    // The stopped instance's send, answered at last, is not recorded: still one attempt.
    expect((await stored())[0]).toMatchObject({ status: "delivered", attempts: 1 });
  });
});

describe("several dispatchers on one PostgreSQL database", () => {
  beforeAll(() => databases.use("postgres"), CLUSTER_START_TIMEOUT_MS);
  beforeEach(clearAlerts);

  /** A dispatcher of its own instance: its own pool, its own lease owner. */
  function instance(owner: string, options: { now?: () => number; leaseMs?: number } = {}) {
    const pool = PgEngine.open(databases.postgresUrl());
    return { pool, dispatcher: new AlertDispatcher(pool, { owner, pollMs: 20, ...options }) };
  }

  /** Runs `fn` while a third connection holds the rows `lockSql` selects FOR UPDATE. */
  async function whileLocked<T>(lockSql: string, params: number[] | string[], fn: () => Promise<T>): Promise<T> {
    const held = await holdLock(getEngine(), (tx) => tx.query(`${lockSql} FOR UPDATE`, params));
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }

  const lockWaits = async () => (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))!.n;

  it("two instances at once send each delivery exactly once, both sending at the same time", async () => {
    const paths = ["/inst/0", "/inst/1", "/inst/2"];
    const hooks: number[] = [];
    const ids: string[] = [];
    const at = Date.now();
    for (const [i, path] of paths.entries()) {
      hooks.push(await channel("webhook", path));
      ids.push(...(await addDue(hooks[i]!, `inst${i}`, 8, at)));
    }
    const answers = gate();
    for (const path of paths) receiver.setDefault(path, { status: 200, after: answers.promise });
    const a = instance("a");
    const b = instance("b");
    // Connections open beforehand, so each of A's claims goes to the server the moment A makes it.
    await Promise.all(hooks.map(() => a.pool.query("SELECT 1")));
    try {
      // While a third connection holds the last channel's row, A passes over it (SKIP LOCKED)
      // rather than waiting, and takes the other two; then B takes the last.
      await whileLocked("SELECT id FROM alert_channels WHERE id = ?", [hooks[2]!], async () => {
        await a.dispatcher.tick();
        await receiver.waitFor(() => receiver.requests.length === 2);
        // A's claim of the last channel went to the server with the other two, before their sends:
        // were it waiting for the lock, it would show here.
        expect(await lockWaits()).toBe(0);
        expect(await channelLease(hooks[2]!)).toMatchObject({ lease_owner: null });
      });
      await b.dispatcher.tick();
      await receiver.waitFor(() => receiver.on(paths[2]!).length === 1);
      // The overlap: three sends in flight at once, the two instances each holding leases.
      expect(receiver.requests.map((r) => r.answered)).toEqual([null, null, null]);
      const owners = await getEngine().query<{ id: number; lease_owner: string }>("SELECT id, lease_owner FROM alert_channels ORDER BY id");
      expect(owners.map((c) => c.lease_owner)).toEqual(["a", "a", "b"]);
      expect((await getEngine().query<{ lease_owner: string }>("SELECT DISTINCT lease_owner FROM alert_deliveries WHERE lease_owner IS NOT NULL ORDER BY lease_owner")).map((r) => r.lease_owner)).toEqual(["a", "b"]);

      answers.open();
      a.dispatcher.start();
      b.dispatcher.start();
      await until(async () => (await stored()).every((d) => d.status === "delivered"), "every delivery delivered");
    } finally {
      a.dispatcher.stop();
      b.dispatcher.stop();
      await a.dispatcher.idle();
      await b.dispatcher.idle();
      await a.pool.close();
      await b.pool.close();
    }
    const sent = receiver.requests.map((r) => r.headers["webhook-id"]!);
    expect(sent).toHaveLength(ids.length); // none twice
    expect([...sent].sort()).toEqual([...ids].sort());
    expect(receiver.requests.every((r) => r.answered === 200)).toBe(true);
    expect((await stored()).map((d) => [d.attempts, d.lease_owner])).toEqual(Array(ids.length).fill([1, null]));
  });

  it("claims due rows past those another transaction holds (SKIP LOCKED), and those later", async () => {
    const hook = await channel("webhook", "/skip");
    const at = Date.now();
    const [oldest, next] = await addDue(hook, "skip", 2, at);
    const a = instance("a");
    try {
      await whileLocked("SELECT id FROM alert_deliveries WHERE id = ?", [oldest!], async () => {
        await a.dispatcher.tick();
        await receiver.waitFor(() => receiver.requests.length === 1);
        expect(sentIds("/skip")).toEqual([next]);
        expect(await lockWaits()).toBe(0);
        await a.dispatcher.idle();
      });
      await pass(a.dispatcher);
      expect(sentIds("/skip")).toEqual([next, oldest]);
    } finally {
      await a.pool.close();
    }
  });

  it("an instance that dies mid-send: another sends the same delivery id once the lease has run out", async () => {
    const hook = await channel("webhook", "/dies");
    const answer = gate();
    receiver.script("/dies", { status: 200, after: answer.promise });
    const [id] = await addDue(hook, "dies", 1, Date.now());
    const dying = instance("dying", { leaseMs: SHORT_LEASE_MS });
    let clock = 0;
    const survivor = instance("survivor", { now: () => clock, leaseMs: SHORT_LEASE_MS });
    try {
      await dying.dispatcher.tick();
      await receiver.waitFor(() => receiver.on("/dies").length === 1);
      // It dies: nothing more from it, and its connections are gone.
      dying.dispatcher.stop();
      await dying.pool.close();
      const leased = (await stored())[0]!;
      expect(leased.lease_owner).toBe("dying");
      clock = leased.lease_until! - 1;
      await pass(survivor.dispatcher);
      expect(receiver.on("/dies")).toHaveLength(1);
      clock = leased.lease_until!;
      await pass(survivor.dispatcher);
      expect(sentIds("/dies")).toEqual([id, id]);
      expect(receiver.on("/dies")[1]!.answered).toBe(200);
      expect((await stored())[0]).toMatchObject({ status: "delivered", attempts: 1, lease_owner: null });
    } finally {
      answer.open();
      await dying.dispatcher.idle();
      await survivor.pool.close();
    }
  });
});
