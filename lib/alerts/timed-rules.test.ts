import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { createChannel } from "./channels";
import { evaluateTimedRules } from "./evaluate";
import type { Notification } from "./notification";
import { previewRule } from "./preview";
import { createRule } from "./rules";

// Threshold, change and digest rules counted by the engine they run on: the evaluator notifying
// (deliveries enqueued) and the rule preview replaying a week, the same answers on both engines.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, PUBLIC_URL: "https://faultline.example.com", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
// 08:00 UTC is the digest's time; 20 s later a 10-minute window straddles the hour.
const NOW = Date.UTC(2026, 10, 25, 8, 0, 20);
const by = { actor: { id: "admin-1", email: "admin@test.example" }, ip: null, now: NOW - DAY };

/** Failures of `line` at each instant, through the engine's own ingest. */
async function failuresAt(engine: Engine, line: string, ...times: number[]): Promise<void> {
  const events = times.map((at) => {
    const event = failureEvent({ line, timestamp: new Date(at).toISOString() });
    return prepareEvent(event, JSON.stringify(event), at);
  });
  await commitEventsTo(engine, events);
}

describe.each(ENGINES)("timed rules on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
  }, CLUSTER_START_TIMEOUT_MS);

  it("notifies threshold, change and digest rules from the engine's counts, each once, deliveries enqueued", async () => {
    const channel = await createChannel({ type: "webhook", name: "ops", url: "https://hooks.example.com/ops" }, by);
    const channelIds = [channel.id];
    const threshold = await createRule({ name: "t", trigger: "threshold", channelIds, filter: { line: "+573000000001" }, threshold: { count: 3, windowMinutes: 10 } }, by);
    const change = await createRule({ name: "c", trigger: "change", channelIds, filter: { line: "+573000000002" }, change: { percent: 100, windowMinutes: 60, minCount: 2 } }, by);
    const digest = await createRule({ name: "d", trigger: "digest", channelIds, filter: { line: "+573000000003" }, digest: { time: "08:00", tz: "UTC" } }, by);
    await failuresAt(engine, "+573000000001", NOW - 2 * MINUTE, NOW - 3 * MINUTE, NOW - 20 * MINUTE);
    await failuresAt(engine, "+573000000002", NOW - WEEK - 10 * MINUTE, NOW - 10 * MINUTE);
    await failuresAt(engine, "+573000000003", NOW - 60 * MINUTE, NOW - 2 * DAY);

    // 2 of 3 failures in the window; 1 against 1 a week earlier, below minCount: the digest alone.
    expect(await evaluateTimedRules(engine, NOW)).toBe(1);
    await failuresAt(engine, "+573000000001", NOW - 4 * MINUTE);
    await failuresAt(engine, "+573000000002", NOW - 5 * MINUTE);
    expect(await evaluateTimedRules(engine, NOW)).toBe(2);
    // Within the repeat interval, and the day's digest sent.
    expect(await evaluateTimedRules(engine, NOW + MINUTE)).toBe(0);

    const deliveries = await engine.query<{ rule_id: number; channel_id: number; type: string; status: string; payload: string }>(
      "SELECT rule_id, channel_id, type, status, payload FROM alert_deliveries ORDER BY rule_id",
    );
    expect(deliveries.map(({ rule_id, channel_id, type, status }) => ({ rule_id, channel_id, type, status }))).toEqual([
      { rule_id: threshold.id, channel_id: channel.id, type: "threshold.exceeded", status: "pending" },
      { rule_id: change.id, channel_id: channel.id, type: "change.exceeded", status: "pending" },
      { rule_id: digest.id, channel_id: channel.id, type: "digest", status: "pending" },
    ]);
    const [t, c, d] = deliveries.map((row) => JSON.parse(row.payload) as Notification);
    expect(t!.window).toMatchObject({ count: 3, previousCount: null, to: new Date(NOW).toISOString() });
    expect(c!.window).toMatchObject({ count: 2, previousCount: 1 });
    expect(d!.digest).toMatchObject({ total: 1, byReason: [{ reason: "FAILURE_BY_TIER_CAPACITY", count: 1 }] });
    expect(d!.window).toMatchObject({ from: new Date(NOW - 20_000 - DAY).toISOString(), to: new Date(NOW - 20_000).toISOString() });
  });

  it("previews threshold and change rules over the week's counts", async () => {
    const line = "+573000000004";
    // Three failures within 3 minutes two days ago; two 10 minutes apart a day ago.
    await failuresAt(engine, line, NOW - 2 * DAY, NOW - 2 * DAY + MINUTE, NOW - 2 * DAY + 2 * MINUTE, NOW - DAY, NOW - DAY + 10 * MINUTE);
    const preview = async (body: Record<string, unknown>) => (await previewRule({ name: "p", filter: { line }, ...body }, NOW)).notifications;
    expect(await preview({ trigger: "threshold", threshold: { count: 3, windowMinutes: 5 } })).toBe(1);
    expect(await preview({ trigger: "threshold", threshold: { count: 2, windowMinutes: 15 } })).toBe(2);
    expect(await preview({ trigger: "threshold", threshold: { count: 2, windowMinutes: 120 } })).toBe(4);
    expect(await preview({ trigger: "threshold", threshold: { count: 4, windowMinutes: 120 } })).toBe(0);
    expect(await preview({ trigger: "change", change: { percent: 100, windowMinutes: 60, minCount: 2 } })).toBe(2);
    expect(await preview({ trigger: "change", change: { percent: 100, windowMinutes: 60, minCount: 3 } })).toBe(1);
  });
});
