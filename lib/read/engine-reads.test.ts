import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { get as getRow } from "@/db/steps";
import { PgEngine } from "@/db/pg/engine";
import { GET as getFacets } from "@/app/api/facets/route";
import { GET as getStats } from "@/app/api/stats/route";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { parseFilters } from "@/lib/filters";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { setLineLabel } from "@/lib/lines/labels";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DAY, failureDataset } from "@/lib/testing/failure-dataset";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { SLOW_READS } from "@/lib/testing/slow-reads";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { EngineReads } from "./engine-reads";
import { MAX_HEAVY_READS_PER_USER } from "./heavy-reads";
import { READS } from "./reads";
import type { StepsRead } from "./serve";

// The dashboard's reads on either engine: through the routes, on SQLite in a read worker, on
// PostgreSQL on the read path's own pool (EngineReads), each read in one snapshot. Then what
// PostgreSQL's read path promises: a deadline the server enforces, the per-user cap, and ingest
// never waiting for reads.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const NOW = Date.now();
const [L1] = DATASET_LINES;
const by = { actor: SYSTEM_ACTOR, ip: null };
/** The same window for both engines: the last `days` days before NOW. */
const windowOf = (days: number) => `from=${new Date(NOW - days * DAY).toISOString()}&to=${new Date(NOW).toISOString()}`;

async function get(handler: (request: Request) => Promise<Response>, path: string, user: TestUser): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await handler(new Request(`http://localhost:3000${path}`, { headers: user.headers }));
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** What each engine answered, to compare PostgreSQL's with SQLite's. */
const answers = new Map<string, unknown>();

describe.each(ENGINES)("the overview's reads on %s", (name) => {
  let engine: Engine;
  let viewer: TestUser;
  beforeAll(async () => {
    engine = await databases.use(name);
    viewer = await createTestUser("viewer");
    await commitEventsTo(engine, failureDataset({ now: NOW, seed: 11, count: 600 }).prepared);
    await setLineLabel(L1, { label: "Ventas Bogotá" }, by);
  }, CLUSTER_START_TIMEOUT_MS);

  it("GET /api/stats counts this engine's failures and labels the lines from the same snapshot", async () => {
    const answer = await get(getStats, `/api/stats?${windowOf(30)}&tz=America/Bogota`, viewer);
    expect(answer.status).toBe(200);
    const stats = answer.json as { total: number; byLine: Array<{ line: string | null; count: number; label: string | null }>; latestFailureId: number };
    const window = answer.json.window as { from: string; to: string };
    const total = await engine.one<{ n: number }>("SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?", [Date.parse(window.from), Date.parse(window.to)]);
    expect(stats.total).toBe(total!.n);
    expect(stats.total).toBeGreaterThan(100);
    expect(stats.latestFailureId).toBe((await engine.one<{ id: number }>("SELECT max(id) AS id FROM failures"))!.id);
    const labelled = stats.byLine.find((l) => l.line === L1);
    expect(labelled?.label).toBe("Ventas Bogotá");
    expect(stats.byLine.filter((l) => l.line !== L1).every((l) => l.label === null)).toBe(true);
    // The two engines hold the same failures: every number but the ids (and the clock) agree.
    const comparable = { ...answer.json, latestFailureId: undefined };
    if (name === "sqlite") answers.set("stats", comparable);
    else expect(comparable).toEqual(answers.get("stats"));
  });

  it("GET /api/facets counts each picker's values in the window, labelled", async () => {
    const answer = await get(getFacets, `/api/facets?${windowOf(7)}&class=do_not_contact`, viewer);
    expect(answer.status).toBe(200);
    const facets = answer.json as { lines: Array<{ line: string | null; count: number; label: string | null }>; reasons: Array<{ reason: string; count: number }> };
    expect(facets.lines.find((l) => l.line === L1)?.label).toBe("Ventas Bogotá");
    // Reasons are counted without their own filter (every class), lines under it.
    const sum = (rows: Array<{ count: number }>) => rows.reduce((s, r) => s + r.count, 0);
    expect(sum(facets.reasons)).toBeGreaterThan(sum(facets.lines));
    if (name === "sqlite") answers.set("facets", answer.json);
    else expect(answer.json).toEqual(answers.get("facets"));
  });
});

describe("PostgreSQL's read path", () => {
  let engine: PgEngine;
  const reads = { ...(READS as unknown as Record<string, StepsRead>), ...SLOW_READS };
  /** A count that runs for minutes unless cancelled. */
  const FOREVER = { steps: 2_000_000_000 };
  beforeAll(async () => {
    engine = (await databases.use("postgres")) as PgEngine;
  }, CLUSTER_START_TIMEOUT_MS);

  const runningSlowCounts = async () =>
    (await engine.one<{ n: number }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'WITH RECURSIVE c(x)%'"))!.n;
  async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("stops a read at its deadline in the database (503 query_timeout) and serves the next one", async () => {
    const path = EngineReads.on(engine, { size: 1, timeoutMs: 400, reads });
    try {
      const started = Date.now();
      const answer = await path.readByName("slowCount", FOREVER).catch((err: unknown) => err);
      expect(answer).toMatchObject({ status: 503, code: "query_timeout" });
      expect(Date.now() - started).toBeLessThan(5_000);
      // PostgreSQL cancelled the statement itself: nothing keeps running after the answer.
      await until(async () => (await runningSlowCounts()) === 0, "the cancelled statement to end");
      // Its connection is back in the read pool: the next read gets it.
      expect(await path.readByName("slowCount", { steps: 1_000 })).toMatchObject({ count: 1_000 });
    } finally {
      await path.close();
    }
  });

  it("plans its reads without JIT, whatever the server's default", async () => {
    const jitSetting = function* () {
      return (yield* getRow<{ jit: string }>("SELECT current_setting('jit') AS jit", []))!.jit;
    };
    const pool = new pg.Pool({ ...engine.pool.options, max: 1 });
    const path = new EngineReads(pool, { size: 1, timeoutMs: 60_000, reads: { jitSetting } });
    try {
      expect((await engine.one<{ jit: string }>("SELECT current_setting('jit') AS jit"))!.jit).toBe("on");
      // The first read opens the connection (the setting goes with it); the second reuses it.
      expect(await path.readByName("jitSetting", undefined)).toBe("off");
      expect(await path.readByName("jitSetting", undefined)).toBe("off");
    } finally {
      await path.close();
    }
  });

  it("counts the wait for a read connection against the deadline", async () => {
    const pool = new pg.Pool({ ...engine.pool.options, max: 1 });
    const path = new EngineReads(pool, { size: 1, timeoutMs: 500, reads });
    try {
      // The only connection is taken elsewhere: the read waits for it, then meets its deadline.
      const taken = await pool.connect();
      const started = Date.now();
      const answer = await path.readByName("latestFailureId", undefined).catch((err: unknown) => err);
      expect(answer).toMatchObject({ status: 503, code: "query_timeout" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(490);
      expect(Date.now() - started).toBeLessThan(2_000);
      taken.release();
      expect(await path.readByName("latestFailureId", undefined)).toEqual(expect.any(Number));
    } finally {
      await path.close();
    }
  });

  it(`refuses a user's read beyond ${MAX_HEAVY_READS_PER_USER} heavy ones with 429, serves other users, and frees the slots`, async () => {
    const path = EngineReads.on(engine, { size: 3, timeoutMs: 60_000, reads });
    try {
      const alice = { user: "alice" };
      const running = [path.readByName("slowCount", FOREVER, alice).catch((err: unknown) => err), path.readByName("slowCount", FOREVER, alice).catch((err: unknown) => err)];
      // Both of Alice's reads are in the database at once.
      await until(async () => (await runningSlowCounts()) === 2, "both of alice's reads to run");
      const third = await path.readByName("stats", { filters: parseFilters(new URLSearchParams("range=24h")) }, alice).catch((err: unknown) => err);
      expect(third).toMatchObject({ status: 429, code: "rate_limited" });
      expect((third as { headers?: Record<string, string> }).headers?.["Retry-After"]).toBe("1");
      // A light read of hers and another user's heavy read are served meanwhile.
      expect(await path.readByName("latestFailureId", undefined, alice)).toEqual(expect.any(Number));
      expect(await path.readByName("slowCount", { steps: 10 }, { user: "bob" })).toMatchObject({ count: 10 });
      expect(path.heavyReadsOf("alice")).toBe(2);
      await engine.exec("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'WITH RECURSIVE c(x)%'");
      for (const answer of await Promise.all(running)) expect(answer).toMatchObject({ status: 503, code: "query_timeout" });
      await until(async () => path.heavyReadsOf("alice") === 0, "alice's slots to be freed");
    } finally {
      await path.close();
    }
  });

  it("commits webhook events while every read connection is busy (reads have a pool of their own)", async () => {
    const path = EngineReads.on(engine, { size: 2, timeoutMs: 60_000, reads });
    try {
      const busy = [path.readByName("slowCount", FOREVER).catch((err: unknown) => err), path.readByName("slowCount", FOREVER).catch((err: unknown) => err)];
      await until(async () => (await runningSlowCounts()) === 2, "both read connections to be busy");
      const { prepared } = failureDataset({ now: NOW + DAY, seed: 12, count: 50 });
      const result = await commitEventsTo(engine, prepared);
      expect(result.accepted).toBe(prepared.length);
      // The reads were still running when the events were committed.
      expect(await runningSlowCounts()).toBe(2);
      await engine.exec("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'WITH RECURSIVE c(x)%'");
      await Promise.all(busy);
    } finally {
      await path.close();
    }
  });
});
