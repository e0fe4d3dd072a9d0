import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { DAY, loadFailureDatasetTo } from "@/lib/testing/failure-dataset";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { expectError } from "@/lib/testing/webhook-client";
import { GET } from "./route";

// Full filter combinations are checked against the raw rows in lib/queries/stats.test.ts; this
// file covers the HTTP surface on both engines: the documented body, parameters and errors.
// A long QUERY_TIMEOUT_MS: in tests the first read starts a worker that compiles its module, which
// alone ran past the 10 s default on a loaded machine (deadlines are not what this file tests).
const databases = setupEngineDatabases({ QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const NOW = Date.now();

describe.each(ENGINES)("GET /api/stats on %s", (name) => {
  let engine: Engine;
  let viewer: TestUser;
  beforeAll(async () => {
    engine = await databases.use(name);
    viewer = await createTestUser("viewer");
    await loadFailureDatasetTo(engine, { now: NOW, seed: 5, count: 800 });
  }, CLUSTER_START_TIMEOUT_MS);

  async function stats(query: string): Promise<{ status: number; headers: Headers; json: unknown }> {
    const response = await GET(new Request(`http://localhost:3000/api/stats?${query}`, { headers: viewer.headers }));
    return { status: response.status, headers: response.headers, json: await response.json() };
  }

  const count = async (sql: string, params: Param[] = []) => (await engine.one<{ n: number }>(sql, params))!.n;

  it("answers the documented shape, with totals equal to the raw rows", async () => {
    const from = NOW - 12 * DAY - 3_333;
    const to = NOW - DAY + 77_777;
    const answer = await stats(`from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&tz=America/Bogota`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const body = answer.json as Record<string, unknown>;
    for (const key of ["total", "previousTotal", "contacts", "byReason", "byLine", "byTemplate", "timeline"]) expect(body).toHaveProperty(key);
    expect(body.total).toBe(await count("SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?", [from, to]));
    expect(body.previousTotal).toBe(await count("SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?", [from - (to - from), from]));
    expect(body.total).toBeGreaterThan(0);
    const timeline = body.timeline as Array<{ bucket: string; counts: Record<string, number> }>;
    // Bogota is UTC−5 all year: one bucket per local date the window touches.
    const localDay = (ms: number) => Math.floor((ms - 5 * 3_600_000) / DAY);
    expect(timeline.length).toBe(localDay(to - 1) - localDay(from) + 1);
    for (const p of timeline) expect(p.bucket).toMatch(/T05:00:00\.000Z$/);
    expect(body.window).toEqual({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), tz: "America/Bogota" });
  });

  it("counts what arrived after a given failure id", async () => {
    const maxId = await count("SELECT max(id) AS n FROM failures");
    const body = (await stats(`range=7d&afterId=${maxId - 10}`)).json as { newSinceAfterId: number; latestFailureId: number };
    expect(body).toMatchObject({ newSinceAfterId: 10, latestFailureId: maxId });
  });

  for (const [query, field] of [
    ["afterId=-3", "afterId"],
    ["afterId=abc", "afterId"],
    ["tz=Not/AZone", "tz"],
    ["status=open,closed", "status"],
    ["to=2026-01-01T00:00:00Z&from=2026-02-01T00:00:00Z", "to"],
    [`template=${"x".repeat(513)}`, "template"],
  ] as const) {
    it(`answers 400 naming ${field} for ${query.slice(0, 50)}`, async () => {
      const error = expectError(await stats(query), 400, "invalid_input");
      expect(error.details?.[0]?.path).toBe(field);
      expect(error.message.startsWith(field)).toBe(true);
    });
  }
});
