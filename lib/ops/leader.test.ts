import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { PgEngine } from "@/db/pg/engine";
import { scheduleIncidentTimers } from "@/lib/incidents/lifecycle";
import { setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { Leader, LEADER_LOCK_KEY } from "./leader";

const databases = setupEngineDatabases({ LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const TICK_MS = 50;

/** The incident timers scheduled with `leader`, counting the runs that did them (each reads the clock once). */
function countedTimers(leader: Leader): { runs: () => number; stop: () => void } {
  let runs = 0;
  const stop = scheduleIncidentTimers(leader, {
    everyMs: 20,
    clock: () => {
      runs++;
      return Date.now();
    },
  });
  return { runs: () => runs, stop };
}

describe("the leader on SQLite", () => {
  beforeAll(() => databases.use("sqlite"));

  it("the one process leads from its start, and the timers run on it; stopping gives the leadership up", async () => {
    const leader = new Leader(getEngine(), TICK_MS);
    await leader.start();
    expect(leader.isLeader()).toBe(true);
    const timers = countedTimers(leader);
    try {
      await expect.poll(timers.runs, { timeout: 2000, interval: 20 }).toBeGreaterThan(2);
    } finally {
      timers.stop();
      await leader.stop();
    }
    expect(leader.isLeader()).toBe(false);
    const next = new Leader(getEngine(), TICK_MS);
    await next.start();
    expect(next.isLeader()).toBe(true);
    await next.stop();
  });
});

describe("leaders on PostgreSQL: two instances, one database", () => {
  // Each instance has its own pool, as two processes would; the timers' work itself goes through
  // getEngine() (the same database).
  const pools: PgEngine[] = [];
  beforeAll(async () => {
    const engine = (await databases.use("postgres")) as PgEngine;
    const url = engine.pool.options.connectionString!;
    pools.push(PgEngine.open(url, 2), PgEngine.open(url, 2));
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  const leaderBackend = async () =>
    (await getEngine().query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = ? AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", [LEADER_LOCK_KEY % 2 ** 32])).map((r) => r.pid);

  it("exactly one leads and runs the timers; a leader whose session ends stops leading, and within a tick one leads again; a dead leader's timers move to the other", async () => {
    const leaders = pools.map((p) => new Leader(p, TICK_MS));
    await Promise.all(leaders.map((l) => l.start()));
    const timers = leaders.map(countedTimers);
    const leading = () => leaders.flatMap((l, i) => (l.isLeader() ? [i] : []));
    try {
      expect(leading()).toHaveLength(1);
      const [first] = leading() as [number];
      const other = 1 - first;
      // Several ticks of both: still one leader, and only its scheduler did the timers.
      await expect.poll(() => timers[first]!.runs(), { timeout: 3000, interval: 20 }).toBeGreaterThan(5);
      expect(leading()).toEqual([first]);
      expect(timers[other]!.runs()).toBe(0);

      // End the leader's session from a third connection (a restart of PostgreSQL, a network cut).
      const holders = await leaderBackend();
      expect(holders).toHaveLength(1);
      await getEngine().exec("SELECT pg_terminate_backend(?::int)", [holders[0]!]);
      const endedAt = Date.now();
      await expect.poll(() => leaders[first]!.isLeader(), { timeout: 2000, interval: 2 }).toBe(false);
      // Both retry on their ticks; whichever is first leads, never both at once.
      let most = 0;
      await expect
        .poll(
          () => {
            most = Math.max(most, leading().length);
            return leading().length;
          },
          { timeout: 5000, interval: 2 },
        )
        .toBe(1);
      // Within a tick, plus a connection's setup on a loaded machine.
      expect(Date.now() - endedAt).toBeLessThan(TICK_MS + 1500);
      expect(most).toBe(1);
      expect(await leaderBackend()).toHaveLength(1);

      // The leader dies: its session ends (as at a process exit) and it tries no more.
      const [dead] = leading() as [number];
      const heir = 1 - dead;
      await leaders[dead]!.stop();
      const diedAt = Date.now();
      await expect.poll(() => leaders[heir]!.isLeader(), { timeout: 5000, interval: 2 }).toBe(true);
      expect(Date.now() - diedAt).toBeLessThan(TICK_MS + 1500);
      const deadRuns = timers[dead]!.runs();
      const heirRuns = timers[heir]!.runs();
      await expect.poll(() => timers[heir]!.runs(), { timeout: 3000, interval: 20 }).toBeGreaterThan(heirRuns + 5);
      expect(timers[dead]!.runs()).toBe(deadRuns);
    } finally {
      for (const t of timers) t.stop();
      await Promise.all(leaders.map((l) => l.stop()));
    }
    expect(await leaderBackend()).toEqual([]);
  });
});
