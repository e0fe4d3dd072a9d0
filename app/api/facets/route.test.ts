import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, loadFailureDatasetTo, mixIncidentStatusesOn } from "@/lib/testing/failure-dataset";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { expectError } from "@/lib/testing/webhook-client";
import { GET } from "./route";

// A long QUERY_TIMEOUT_MS: in tests the first read starts a worker that compiles its module, which
// alone ran past the 10 s default on a loaded machine (deadlines are not what this file tests).
const databases = setupEngineDatabases({ QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const NOW = Date.now();
// A custom window with odd minutes, so whole days, whole hours and partial hours all count.
const FROM = NOW - 40 * DAY - 7 * 60_000 - 11;
const TO = NOW - 2 * DAY + 23 * 60_000;

interface Facets {
  lines: Array<{ line: string | null; count: number }>;
  templates: Array<{ template: string | null; count: number }>;
  reasons: Array<{ reason: string; count: number }>;
}

const asMap = <T>(rows: T[], key: (r: T) => string | null, count: (r: T) => number) => Object.fromEntries(rows.map((r) => [key(r) ?? "", count(r)]));
const sortedDesc = (counts: number[]) => counts.every((c, i) => i === 0 || c <= counts[i - 1]!);
const window = `from=${new Date(FROM).toISOString()}&to=${new Date(TO).toISOString()}`;

describe.each(ENGINES)("GET /api/facets on %s", (name) => {
  let engine: Engine;
  let viewer: TestUser;
  beforeAll(async () => {
    engine = await databases.use(name);
    viewer = await createTestUser("viewer");
    // The route resolves range=90d against the real clock: keep failures clear of that edge.
    await loadFailureDatasetTo(engine, { now: NOW, seed: 3, count: 2000, avoid: { instants: [NOW - 90 * DAY], margin: 10 * 60_000 } });
    await mixIncidentStatusesOn(engine);
  }, CLUSTER_START_TIMEOUT_MS + 60_000);

  async function facets(query: string): Promise<{ status: number; json: unknown }> {
    const response = await GET(new Request(`http://localhost:3000/api/facets?${query}`, { headers: viewer.headers }));
    return { status: response.status, json: await response.json() };
  }

  /** Counts per value of `col` by plain SQL over the raw failures, with extra conditions. */
  async function ref(col: string, where: string, params: Param[]): Promise<Record<string, number>> {
    const rows = await engine.query<{ k: string; n: number }>(
      `SELECT ${col} AS k, count(*) AS n FROM failures f JOIN incidents i ON i.id = f.incident_id
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${where} GROUP BY 1`,
      [FROM, TO, ...params],
    );
    return Object.fromEntries(rows.map((r) => [r.k, r.n]));
  }

  it("counts every line, template and reason in the window", async () => {
    const answer = await facets(window);
    expect(answer.status).toBe(200);
    const body = answer.json as Facets;
    expect(asMap(body.lines, (r) => r.line, (r) => r.count)).toEqual(await ref("f.line", "1 = 1", []));
    expect(asMap(body.templates, (r) => r.template, (r) => r.count)).toEqual(await ref("f.template", "1 = 1", []));
    expect(asMap(body.reasons, (r) => r.reason, (r) => r.count)).toEqual(await ref("f.reason", "1 = 1", []));
    // The unknown line and template are offered (as null), beside every named one.
    expect(body.lines.map((r) => r.line)).toEqual(expect.arrayContaining([null, ...DATASET_LINES]));
    expect(body.templates.map((r) => r.template)).toEqual(expect.arrayContaining([null, ...DATASET_TEMPLATES]));
    for (const list of [body.lines, body.templates, body.reasons]) expect(sortedDesc(list.map((r) => r.count))).toBe(true);
  });

  it("counts each dimension under every filter but its own", async () => {
    const [L1] = DATASET_LINES;
    const [, T2] = DATASET_TEMPLATES;
    const query = `${window}&line=${encodeURIComponent(`${L1},(unknown)`)}&template=${T2}&class=retry_later&status=open,acknowledged`;
    const body = (await facets(query)).json as Facets;
    const retryLater = ["FAILURE", "FAILURE_BY_HUMAN_HANDOVER", "FAILURE_BY_RATE_LIMIT", "COMPANY_RATE_LIMIT", "FAILURE_BY_TIER_CAPACITY", "FAILURE_BY_SPAM_RATE_LIMIT"];
    const reasonIn = `f.reason IN (${retryLater.map(() => "?").join(",")})`;
    const status = "i.status IN ('open', 'acknowledged')";
    expect(asMap(body.lines, (r) => r.line, (r) => r.count)).toEqual(await ref("f.line", `${reasonIn} AND f.template = ? AND ${status}`, [...retryLater, T2]));
    expect(asMap(body.templates, (r) => r.template, (r) => r.count)).toEqual(
      await ref("f.template", `${reasonIn} AND f.line IN (?, '') AND ${status}`, [...retryLater, L1]),
    );
    expect(asMap(body.reasons, (r) => r.reason, (r) => r.count)).toEqual(await ref("f.reason", `f.template = ? AND f.line IN (?, '') AND ${status}`, [T2, L1]));
    expect(body.lines.length).toBeGreaterThan(2);
    expect(body.reasons.length).toBeGreaterThan(3);
  });

  it("narrows by a phone search too", async () => {
    const phone = (await engine.one<{ phone_e164: string }>("SELECT phone_e164 FROM failures WHERE phone_e164 IS NOT NULL LIMIT 1"))!.phone_e164;
    const digits = phone.slice(3, 10);
    const body = (await facets(`range=90d&q=${digits}`)).json as Facets;
    const total = body.lines.reduce((s, r) => s + r.count, 0);
    const expected = await engine.one<{ n: number }>(
      "SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND (coalesce(phone_e164, '') LIKE ? OR coalesce(cellphone, '') LIKE ?)",
      [NOW - 90 * DAY, `%${digits}%`, `%${digits}%`],
    );
    expect(total).toBe(expected?.n);
    expect(total).toBeGreaterThan(0);
  });

  it("answers 400 naming an invalid filter", async () => {
    const answer = await facets("class=retry_later,later");
    const error = expectError({ ...answer, headers: new Headers() }, 400, "invalid_input");
    expect(error.details?.[0]?.path).toBe("class");
  });
});
