import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { commitEventsTo } from "./group-commit";
import { prepareEvent } from "./handle-webhook";
import type { PreparedEvent } from "./store";

// The group committer each engine uses (SQLite's synchronous one, PostgreSQL's engine
// transactions), each on a fresh database of its own: the tests build on one another's rows.
const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const NOW = Date.UTC(2026, 10, 25, 12, 30);
let seq = 0;
function failure(overrides: Record<string, unknown> = {}): PreparedEvent {
  const event = {
    event_type: "deployment.failure",
    event_id: `gc-${++seq}`,
    timestamp: new Date(NOW - seq * 1000).toISOString(),
    failure_reason: "FAILURE_BY_TIER_CAPACITY",
    line: "+573001112233",
    hsm: { name: "welcome_v2" },
    user: { country_code: "+57", cellphone: String(3000000000 + (seq % 7)) },
    ...overrides,
  };
  return prepareEvent(event, JSON.stringify(event), NOW);
}

describe.each(ENGINES)("group commit on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
  }, CLUSTER_START_TIMEOUT_MS);

  const count = async (sql: string) => (await engine.one<{ n: number }>(sql))!.n;

  it("commits concurrent requests together, with counters equal to the rows", async () => {
    const requests = Array.from({ length: 40 }, (_, i) => [failure(), failure({ failure_reason: i % 2 ? "INVALID_PHONE" : "FAILURE_BY_TIER_CAPACITY" })]);
    const results = await Promise.all(requests.map((events) => commitEventsTo(engine, events)));
    expect(results.every((r) => r.accepted === 2 && r.duplicates === 0)).toBe(true);
    expect(await count("SELECT count(*) AS n FROM failures")).toBe(80);
    expect(await count("SELECT sum(failures) AS n FROM incidents")).toBe(80);
    expect(await count("SELECT sum(failures) AS n FROM rollup_hour_reason")).toBe(80);
    expect(await count("SELECT sum(failures) AS n FROM rollup_hour")).toBe(80);
    expect(await count("SELECT sum(failures) AS n FROM rollup_day")).toBe(80);
    const contacts = await engine.query("SELECT reason, contacts FROM incidents ORDER BY reason");
    const expected = await engine.query("SELECT reason, count(DISTINCT phone_e164) AS contacts FROM failures GROUP BY reason ORDER BY reason");
    expect(contacts).toEqual(expected);
  });

  it("rolls back only the request that fails; the others in its group still commit", async () => {
    const before = await count("SELECT count(*) AS n FROM failures");
    const broken = failure();
    // A row the database refuses (reason is NOT NULL) although it passed validation.
    (broken.failure as unknown as { reason: null }).reason = null;
    const good = [failure(), failure()];
    const outcomes = await Promise.allSettled([commitEventsTo(engine, [good[0]!]), commitEventsTo(engine, [failure(), broken]), commitEventsTo(engine, [good[1]!])]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await count("SELECT count(*) AS n FROM failures")).toBe(before + 2);
    expect(await count("SELECT count(*) AS n FROM raw_events")).toBe(await count("SELECT count(*) AS n FROM failures"));
    expect(await count("SELECT sum(failures) AS n FROM incidents")).toBe(before + 2);
    expect(await count("SELECT sum(failures) AS n FROM rollup_hour_line")).toBe(before + 2);
  });

  it("reopens a resolved incident once, logging the failure that did it", async () => {
    const incident = (await engine.one<{ id: number }>("SELECT id FROM incidents WHERE reason = 'INVALID_PHONE'"))!;
    await engine.exec("UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ?", [NOW, incident.id]);
    await Promise.all([commitEventsTo(engine, [failure({ failure_reason: "INVALID_PHONE" })]), commitEventsTo(engine, [failure({ failure_reason: "INVALID_PHONE" })])]);
    const row = await engine.one("SELECT status, regressed, reopened_count FROM incidents WHERE id = ?", [incident.id]);
    expect(row).toEqual({ status: "open", regressed: 1, reopened_count: 1 });
    const activity = await engine.query<{ action: string; failure_id: number }>("SELECT action, failure_id FROM incident_activity WHERE incident_id = ?", [incident.id]);
    expect(activity).toHaveLength(1);
    expect(activity[0]!.action).toBe("regressed");
  });
});
