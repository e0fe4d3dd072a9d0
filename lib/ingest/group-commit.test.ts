import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { commitEvents } from "./group-commit";
import { prepareEvent } from "./handle-webhook";
import type { PreparedEvent } from "./store";

const tempDb = setupTempDatabase();
afterAll(() => tempDb.cleanup());

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

const count = (sql: string) => (getDb().sqlite.prepare(sql).get() as { n: number }).n;

describe("group commit", () => {
  it("commits concurrent requests together, with counters equal to the rows", async () => {
    const requests = Array.from({ length: 40 }, (_, i) => [failure(), failure({ failure_reason: i % 2 ? "INVALID_PHONE" : "FAILURE_BY_TIER_CAPACITY" })]);
    const results = await Promise.all(requests.map((events) => commitEvents(getDb(), events)));
    expect(results.every((r) => r.accepted === 2 && r.duplicates === 0)).toBe(true);
    expect(count("SELECT count(*) AS n FROM failures")).toBe(80);
    expect(count("SELECT sum(failures) AS n FROM incidents")).toBe(80);
    expect(count("SELECT sum(failures) AS n FROM rollup_hour_reason")).toBe(80);
    expect(count("SELECT sum(failures) AS n FROM rollup_hour")).toBe(80);
    expect(count("SELECT sum(failures) AS n FROM rollup_day")).toBe(80);
    const contacts = getDb().sqlite.prepare("SELECT reason, contacts FROM incidents ORDER BY reason").all();
    const expected = getDb()
      .sqlite.prepare("SELECT reason, count(DISTINCT phone_e164) AS contacts FROM failures GROUP BY reason ORDER BY reason")
      .all();
    expect(contacts).toEqual(expected);
  });

  it("rolls back only the request that fails; the others in its group still commit", async () => {
    const before = count("SELECT count(*) AS n FROM failures");
    const broken = failure();
    // A row the database refuses (reason is NOT NULL) although it passed validation.
    (broken.failure as unknown as { reason: null }).reason = null;
    const good = [failure(), failure()];
    const outcomes = await Promise.allSettled([commitEvents(getDb(), [good[0]!]), commitEvents(getDb(), [failure(), broken]), commitEvents(getDb(), [good[1]!])]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(count("SELECT count(*) AS n FROM failures")).toBe(before + 2);
    expect(count("SELECT count(*) AS n FROM raw_events")).toBe(count("SELECT count(*) AS n FROM failures"));
    expect(count("SELECT sum(failures) AS n FROM incidents")).toBe(before + 2);
    expect(count("SELECT sum(failures) AS n FROM rollup_hour_line")).toBe(before + 2);
  });

  it("reopens a resolved incident once, logging the failure that did it", async () => {
    const { sqlite } = getDb();
    const incident = sqlite.prepare("SELECT id FROM incidents WHERE reason = 'INVALID_PHONE'").get() as { id: number };
    sqlite.prepare("UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ?").run(NOW, incident.id);
    await Promise.all([commitEvents(getDb(), [failure({ failure_reason: "INVALID_PHONE" })]), commitEvents(getDb(), [failure({ failure_reason: "INVALID_PHONE" })])]);
    const row = sqlite.prepare("SELECT status, regressed, reopened_count FROM incidents WHERE id = ?").get(incident.id);
    expect(row).toEqual({ status: "open", regressed: 1, reopened_count: 1 });
    const activity = sqlite.prepare("SELECT action, failure_id FROM incident_activity WHERE incident_id = ?").all(incident.id) as Array<{ action: string; failure_id: number }>;
    expect(activity).toHaveLength(1);
    expect(activity[0]!.action).toBe("regressed");
  });
});
