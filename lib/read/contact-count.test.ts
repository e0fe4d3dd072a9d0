import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { GET as getCount } from "@/app/api/contacts/count/route";
import { GET as getList } from "@/app/api/contacts/export/route";
import { GET as getStats } from "@/app/api/stats/route";
import { inSnapshot } from "@/db/snapshot";
import { parseFilters } from "@/lib/filters";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { stats as overviewStats } from "@/lib/queries/stats";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DAY, failureDataset } from "@/lib/testing/failure-dataset";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";

// The overview's counts a refresh leaves out, through the routes on either engine: with the
// server's EXACT_CONTACTS_LIMIT at 50 failures, a status's contacts and contact lists are not
// counted on every refresh (null), and counted exactly on request.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent", EXACT_CONTACTS_LIMIT: "50" });
afterAll(() => databases.cleanup());

const NOW = Date.now();
const CONTACT = "coalesce(f.phone_e164, f.cellphone)";

async function get(handler: (request: Request) => Promise<Response>, path: string, user: TestUser): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await handler(new Request(`http://localhost:3000${path}`, { headers: user.headers }));
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe.each(ENGINES)("counts asked for on %s", (name) => {
  let engine: Engine;
  let viewer: TestUser;
  let operator: TestUser;
  beforeAll(async () => {
    engine = await databases.use(name);
    viewer = await createTestUser("viewer");
    operator = await createTestUser("operator");
    await commitEventsTo(engine, failureDataset({ now: NOW, seed: 7, count: 800 }).prepared);
    // Every other incident resolved: each status holds part of the window's failures.
    expect((await engine.exec("UPDATE incidents SET status = 'resolved' WHERE id % 2 = 0")).changes).toBeGreaterThan(3);
  }, CLUSTER_START_TIMEOUT_MS);

  /** Distinct contacts of the window's failures whose incident has the status (and line), in plain SQL. */
  async function reference(window: { from: string; to: string }, status: string, line?: string): Promise<number> {
    const row = await engine.one<{ n: number }>(
      `SELECT count(DISTINCT ${CONTACT}) AS n FROM failures f
        WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${CONTACT} IS NOT NULL ${line ? "AND f.line = ?" : ""}
          AND f.incident_id IN (SELECT i.id FROM incidents i WHERE i.status = ?)`,
      [Date.parse(window.from), Date.parse(window.to), ...(line ? [line] : []), status],
    );
    return row!.n;
  }

  for (const [what, filters, line] of [
    ["resolved, 30 days", "status=resolved&range=30d", undefined],
    ["open, 7 days", "status=open&range=7d", undefined],
    ["open on a line, 30 days", `status=open&line=${encodeURIComponent(DATASET_LINES[1])}&range=30d`, DATASET_LINES[1]],
  ] as const) {
    it(`leaves the contacts of a status uncounted on refresh and counts them on request: ${what}`, async () => {
      const stats = await get(getStats, `/api/stats?${filters}`, viewer);
      expect(stats.status).toBe(200);
      expect(stats.json.total as number).toBeGreaterThan(50);
      expect(stats.json.contacts).toBeNull();

      const counted = await get(getCount, `/api/contacts/count?${filters}`, viewer);
      expect(counted.status).toBe(200);
      const window = counted.json.window as { from: string; to: string };
      expect(Date.parse(window.to) - Date.parse(window.from)).toBe((filters.endsWith("7d") ? 7 : 30) * DAY);
      const exact = await reference(window, filters.startsWith("status=open") ? "open" : "resolved", line);
      expect(exact).toBeGreaterThan(10);
      expect(counted.json.contacts).toBe(exact);
    });
  }

  it("leaves a status's lists uncounted on a quick count and counts them on request, equal to their downloads", async () => {
    for (const list of ["retry", "suppress"] as const) {
      const path = `/api/contacts/export?list=${list}&status=resolved&range=30d`;
      const quick = await get(getList, `${path}&count=1&quick=1`, operator);
      expect(quick.json.rows, list).toBeNull();
      const counted = await get(getList, `${path}&count=1`, operator);
      const download = await getList(new Request(`http://localhost:3000${path}`, { headers: operator.headers }));
      const lines = (await download.text()).trim().split("\n").length - 1;
      expect(counted.json.rows, list).toBe(lines);
      expect(lines, list).toBeGreaterThan(0);
    }
  });

  it("counts exactly on request what a refresh estimates (a one-digit phone search)", async () => {
    const stats = await get(getStats, "/api/stats?q=3&range=30d", viewer);
    expect(stats.json.contactsApproximate).toBe(true);
    const counted = await get(getCount, "/api/contacts/count?q=3&range=30d", viewer);
    expect(counted.status).toBe(200);
    const window = counted.json.window as { from: string; to: string };
    // The same window counted exactly: no limit to what a refresh may read.
    const exact = await inSnapshot(engine, (dialect) => overviewStats(dialect, parseFilters(new URLSearchParams("q=3&range=30d")), { now: Date.parse(window.to), exactContactsLimit: Infinity }));
    expect(exact.contactsApproximate).toBe(false);
    expect(exact.contacts).toBeGreaterThan(10);
    expect(counted.json.contacts).toBe(exact.contacts);
  });

  it("counts exactly on request where a refresh answers too, and refuses a bad filter with 400", async () => {
    const stats = await get(getStats, "/api/stats?range=30d", viewer);
    const counted = await get(getCount, "/api/contacts/count?range=30d", viewer);
    const window = counted.json.window as { from: string; to: string };
    const all = await engine.one<{ n: number }>(`SELECT count(DISTINCT ${CONTACT}) AS n FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ?`, [
      Date.parse(window.from),
      Date.parse(window.to),
    ]);
    expect(counted.json.contacts).toBe(all!.n);
    expect(stats.json.contacts).toBe(all!.n);
    const bad = await get(getCount, "/api/contacts/count?status=closed", viewer);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "invalid_input" });
  });
});
