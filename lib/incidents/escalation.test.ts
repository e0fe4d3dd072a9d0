import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { getIncident } from "@/lib/queries/incidents";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearDataTables, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { escalationThreshold, exceedsThreshold, HISTORY_HOURS } from "./escalation";
import { ignoreIncident } from "./ignore";
import { runIncidentTimers } from "./lifecycle";
import { updateIncidentSettings } from "./settings";
import { snoozeIncident } from "./snooze";

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

const HOUR = 3_600_000;
const by = { actor: { id: null, email: "op@test.example" }, ip: null };

/** The smallest hour count that escalates against the threshold (searching upwards). */
function firstEscalating(earlier: number[], fullHistory: boolean): number | null {
  const threshold = escalationThreshold(earlier, fullHistory);
  for (let n = 0; n <= 100_000; n++) if (exceedsThreshold(n, threshold)) return n;
  return null;
}

describe("the threshold on synthetic hourly series", () => {
  const week = (f: (hour: number) => number) => Array.from({ length: HISTORY_HOURS }, (_, h) => f(h));

  it("quiet: a week without failures escalates at the minimum of 20", () => {
    expect(escalationThreshold(week(() => 0), true)).toBe(0);
    expect(firstEscalating(week(() => 0), true)).toBe(20);
  });

  it("steady: 2 an hour with no spread → 5 × avg = 10, so the minimum of 20 decides; 6 an hour → above 30", () => {
    expect(escalationThreshold(week(() => 2), true)).toBe(10);
    expect(firstEscalating(week(() => 2), true)).toBe(20);
    expect(escalationThreshold(week(() => 6), true)).toBe(30);
    expect(firstEscalating(week(() => 6), true)).toBe(31);
  });

  it("bursty: one spike in a quiet week pushes (avg + 5σ) / avg past 8, so the multiplier is capped at 8", () => {
    // 167 hours of 0 and one of 168: avg 1, σ ≈ 12.9 → (1 + 64.6) / 1 → 8.
    const spiky = week((h) => (h === 100 ? 168 : 0));
    expect(escalationThreshold(spiky, true)).toBeCloseTo(8, 10);
    expect(firstEscalating(spiky, true)).toBe(20);
    // Daily bursts of 60 over a base of 10: avg ≈ 12.1, σ ≈ 11.1 → (avg + 5σ) / avg ≈ 5.6.
    const daily = week((h) => (h % 24 === 18 ? 60 : 10));
    const avg = (161 * 10 + 7 * 60) / 168;
    const sigma = Math.sqrt((161 * (10 - avg) ** 2 + 7 * (60 - avg) ** 2) / 168);
    expect(escalationThreshold(daily, true)).toBeCloseTo(avg + 5 * sigma, 10);
    expect(firstEscalating(daily, true)).toBe(Math.floor(avg + 5 * sigma) + 1);
    // Another daily burst of 60 is its usual pattern, not an escalation.
    expect(exceedsThreshold(60, escalationThreshold(daily, true))).toBe(false);
  });

  it("steady growth: a linear climb from 0 to 167 an hour does not escalate at 200, does at 5 × avg", () => {
    const growth = week((h) => h);
    // avg 83.5, σ ≈ 48.5 → (avg + 5σ) / avg ≈ 3.9 → raised to 5 → 417.5
    expect(escalationThreshold(growth, true)).toBeCloseTo(417.5, 10);
    expect(exceedsThreshold(200, escalationThreshold(growth, true))).toBe(false);
    expect(firstEscalating(growth, true)).toBe(418);
  });

  it("younger than a week: 10 × its busiest earlier hour, at least 20; nothing earlier → never", () => {
    expect(escalationThreshold([0, 3, 1], false)).toBe(30);
    expect(firstEscalating([0, 3, 1], false)).toBe(31);
    expect(firstEscalating([1], false)).toBe(20);
    expect(escalationThreshold([], false)).toBeNull();
    expect(escalationThreshold([0, 0], false)).toBeNull();
    expect(firstEscalating([], false)).toBeNull();
  });
});

describe.each(ENGINES)("escalation at ingest, from hourly counts kept incrementally, on %s", (name) => {
  // An hour boundary, well in the past so retention of hourly counts does not interfere.
  const H = Math.floor(Date.now() / HOUR) * HOUR;
  let seq = 0;
  let engine: Engine;

  beforeAll(async () => {
    engine = await databases.use(name);
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await clearDataTables(engine);
    await updateIncidentSettings({ autoResolveAfterHours: null }, by);
  });

  /** `count` failures that occurred at `at`, received at `receivedAt` (one request). */
  async function ingest(count: number, at: number, receivedAt = at): Promise<void> {
    await commitEventsTo(
      engine,
      Array.from({ length: count }, () => {
        const event = failureEvent({ timestamp: new Date(at).toISOString(), user: { country_code: "57", cellphone: String(3100000000 + ++seq) } });
        return prepareEvent(event, JSON.stringify(event), receivedAt);
      }),
    );
  }
  const maxId = async (table: "incidents" | "failures") => (await engine.one<{ id: number }>(`SELECT max(id) AS id FROM ${table}`))!.id;
  const id = () => maxId("incidents");
  const lastFailure = () => maxId("failures");
  const incidentOf = (incident: number) => inSnapshot(engine, () => getIncident(incident));
  const actions = (incident: number) =>
    engine.query<{ action: string; actor: string | null; failureId: number | null }>(
      'SELECT action, actor, failure_id AS "failureId" FROM incident_activity WHERE incident_id = ? ORDER BY id',
      [incident],
    );
  const hourRows = async (sql: string, params: number[]) => (await engine.one<{ n: number }>(sql, params))!.n;

  it("a steady incident (2 an hour for over a week) escalates at its 20th failure of an hour, wakes a snooze until escalating, and calms down an hour later", async () => {
    const start = H - (HISTORY_HOURS + 1) * HOUR;
    for (let hour = start; hour < H; hour += HOUR) await ingest(2, hour + 60_000);
    const incident = await id();
    await snoozeIncident(incident, { untilEscalating: true }, by, H);
    expect(await hourRows("SELECT count(*) AS n FROM incident_hours WHERE incident_id = ?", [incident])).toBe(HISTORY_HOURS + 1);

    await ingest(19, H + 5 * 60_000);
    expect(await incidentOf(incident)).toMatchObject({ status: "snoozed", escalating: false });
    await ingest(1, H + 6 * 60_000);
    const twentieth = await lastFailure();
    expect(await incidentOf(incident)).toMatchObject({ status: "open", escalating: true, escalatingSince: new Date(H + 6 * 60_000).toISOString(), snooze: null });
    expect((await actions(incident)).slice(-2)).toEqual([
      { action: "escalating", actor: null, failureId: twentieth },
      { action: "unsnoozed", actor: null, failureId: twentieth },
    ]);
    // More failures in the same hour: still one escalation.
    await ingest(30, H + 10 * 60_000);
    expect((await actions(incident)).filter((a) => a.action === "escalating")).toHaveLength(1);

    // During the next hour it stays escalating (the burst hour is the last full hour)…
    expect((await runIncidentTimers(H + HOUR + 30 * 60_000)).deescalated).toBe(0);
    expect((await incidentOf(incident)).escalating).toBe(true);
    // …and once that hour ends below its threshold, it falls back.
    await ingest(3, H + HOUR + 40 * 60_000);
    expect((await runIncidentTimers(H + 2 * HOUR)).deescalated).toBe(1);
    expect(await incidentOf(incident)).toMatchObject({ escalating: false, escalatingSince: null, status: "open" });
    expect((await actions(incident)).at(-1)).toEqual({ action: "escalation_ended", actor: null, failureId: null });
  });

  it("a young incident escalates above 10 × its busiest hour, counted across requests of the hour; a burst in its first hour is new, not escalating", async () => {
    await ingest(25, H - 3 * HOUR);
    const incident = await id();
    expect((await incidentOf(incident)).escalating).toBe(false);
    await ingest(2, H - 2 * HOUR);
    // Busiest earlier hour: 25 → escalates above 250.
    for (let i = 0; i < 25; i++) await ingest(10, H + i * 60_000);
    expect((await incidentOf(incident)).escalating).toBe(false);
    await ingest(1, H + 30 * 60_000);
    expect((await incidentOf(incident)).escalating).toBe(true);
    expect((await actions(incident)).filter((a) => a.action === "escalating")).toEqual([{ action: "escalating", actor: null, failureId: await lastFailure() }]);
  });

  it("late events of past hours count in their own hour, not toward the current one; ignored incidents never escalate", async () => {
    await ingest(1, H - 5 * HOUR);
    const incident = await id();
    // 40 failures that happened an hour ago arrive now: history, not a burst.
    await ingest(40, H - 30 * 60_000, H + 60_000);
    expect((await incidentOf(incident)).escalating).toBe(false);
    expect(await hourRows("SELECT failures AS n FROM incident_hours WHERE incident_id = ? AND bucket = ?", [incident, H - HOUR])).toBe(40);

    await ignoreIncident(incident, {}, by);
    await ingest(1000, H + 2 * 60_000);
    expect(await incidentOf(incident)).toMatchObject({ status: "ignored", escalating: false, count: 1041 });
  });
});
