import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { parseSettings } from "@/lib/config";
import { parseExportRequest } from "@/lib/export/options";
import { createAppServer, type RequestHandler } from "@/lib/server/app-server";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { failureEvent } from "@/lib/testing/fixtures";
import { SLOW_START_MS } from "@/lib/testing/slow-reads";
import { rowCounts, setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";
import { closeReadPool, MAX_HEAVY_READS_PER_USER, ReadPool, useReadPool } from "./pool";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
const SLOW_READ_WORKER = path.join(process.cwd(), "lib", "testing", "slow-read-worker.ts");
const SLOW_START_READ_WORKER = path.join(process.cwd(), "lib", "testing", "slow-start-read-worker.ts");

interface SlowCount {
  count: number;
  startedAt: number;
  endedAt: number;
}

// The production server's own listener answers webhooks in this process, on this thread.
let server: http.Server;
let origin = "";
const notNext: RequestHandler = async (_req, res) => {
  res.writeHead(404).end();
};

beforeAll(async () => {
  getDb(); // creates and migrates the file the workers open read-only
  server = createAppServer(parseSettings(process.env), notNext);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeReadPool();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tempDb.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sendWebhook(): Promise<{ sentAt: number; answeredAt: number; status: number }> {
  const sentAt = Date.now();
  const res = await fetch(`${origin}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(failureEvent()),
  });
  await res.arrayBuffer();
  return { sentAt, answeredAt: Date.now(), status: res.status };
}

describe("the read pool", () => {
  it("answers webhooks while a slow read holds a worker inside one SQLite statement", async () => {
    const pool = new ReadPool({ databasePath: tempDb.file, size: 1, timeoutMs: 120_000, workerEntry: SLOW_READ_WORKER });
    try {
      await pool.ready();
      const rawBefore = rowCounts().raw;
      let done = false;
      const slow = pool.readByName("slowCount", { steps: 10_000_000 }).finally(() => (done = true)) as Promise<SlowCount>;
      const webhooks = [];
      while (!done) {
        webhooks.push(await sendWebhook());
        await sleep(20);
      }
      const read = await slow;
      expect(read.count).toBe(10_000_000);
      // Overlap, by the process's one clock: sent after the statement began, answered before it ended.
      const during = webhooks.filter((w) => w.sentAt > read.startedAt && w.answeredAt < read.endedAt);
      expect(during.length, `read ran ${read.endedAt - read.startedAt} ms; ${webhooks.length} webhooks`).toBeGreaterThanOrEqual(5);
      for (const w of webhooks) expect(w.status).toBe(200);
      expect(rowCounts().raw - rawBefore).toBe(webhooks.length);
    } finally {
      pool.close();
    }
  }, 120_000);

  it("cancels a read at its deadline with query_timeout, and keeps serving with a fresh worker", async () => {
    const pool = new ReadPool({ databasePath: tempDb.file, size: 1, timeoutMs: 500, workerEntry: SLOW_READ_WORKER });
    try {
      await pool.ready();
      const error = await pool.readByName("slowCount", { steps: 60_000_000 }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toMatchObject({ status: 503, code: "query_timeout" });
      expect((error as Error).message).toMatch(/Narrow the time window or the filters/);
      await pool.ready();
      expect(await pool.read("latestFailureId", undefined)).toBeGreaterThanOrEqual(0);
    } finally {
      pool.close();
    }
  }, 60_000);

  it("runs a read's and an export's deadline from once their worker has started, not during a slow start", async () => {
    const timeoutMs = 500;
    const asked = Date.now();
    const pool = new ReadPool({ databasePath: tempDb.file, size: 1, timeoutMs, workerEntry: SLOW_START_READ_WORKER });
    try {
      expect(await pool.read("latestFailureId", undefined)).toBeGreaterThanOrEqual(0);
      // The read was asked while the worker was starting, for longer than its deadline.
      expect(Date.now() - asked).toBeGreaterThanOrEqual(SLOW_START_MS);

      const opening = Date.now();
      const request = parseExportRequest(new URLSearchParams({ range: "24h" }));
      const { body } = await pool.openExport("failures", { request }, { user: "u", bom: false, gzip: false });
      expect(Date.now() - opening).toBeGreaterThanOrEqual(SLOW_START_MS);
      expect((await new Response(body).text()).split("\n")[0]).toMatch(/^event_id,/);
    } finally {
      pool.close();
    }
  }, 60_000);
});

describe("reads through the API routes", () => {
  let alice: TestUser;
  let bob: TestUser;
  const stats = async (user: TestUser) => {
    const { GET } = await import("@/app/api/stats/route");
    const response = await GET(new Request("http://localhost:3000/api/stats?range=24h", { headers: user.headers }));
    return { status: response.status, headers: response.headers, json: (await response.json()) as unknown };
  };

  beforeAll(async () => {
    alice = await createTestUser("viewer");
    bob = await createTestUser("viewer");
  });

  it(`refuses a user's read beyond ${MAX_HEAVY_READS_PER_USER} heavy ones with 429 and Retry-After, serves others, and answers 503 query_timeout past the deadline`, async () => {
    const pool = new ReadPool({ databasePath: tempDb.file, size: 3, timeoutMs: 3_000, workerEntry: SLOW_READ_WORKER });
    useReadPool(pool);
    await pool.ready();
    // Longer than the deadline (a terminated worker still finishes its statement: keep it bounded).
    const forever = { steps: 60_000_000 };
    const alicesReads = [pool.readByName("slowCount", forever, { user: alice.user.id }), pool.readByName("slowCount", forever, { user: alice.user.id })];
    for (const read of alicesReads) read.catch(() => {});
    expect(pool.heavyReadsOf(alice.user.id)).toBe(2);

    const refused = await stats(alice);
    expectError(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // Bob is served by the third worker meanwhile.
    const served = await stats(bob);
    expect(served.status).toBe(200);
    expect(served.json).toMatchObject({ window: { tz: "UTC" } });

    // With every worker held, Bob's read waits in the queue until its deadline.
    const third = pool.readByName("slowCount", forever);
    third.catch(() => {});
    const timedOut = await stats(bob);
    const error = expectError(timedOut, 503, "query_timeout");
    expect(error.message).toMatch(/took longer than 3 s.*Narrow the time window or the filters/);

    for (const read of [...alicesReads, third]) await expect(read).rejects.toMatchObject({ code: "query_timeout" });
    expect(pool.heavyReadsOf(alice.user.id)).toBe(0);
    await pool.ready();
    expect((await stats(alice)).status).toBe(200);
  }, 60_000);
});
