import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { startFakeTreble } from "@/lib/testing/fake-treble";
import { failureEvent } from "@/lib/testing/fixtures";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { until } from "@/lib/testing/until";
import { sendPlan } from "./actions";
import { createPlan } from "./create-plan";
import { getPlan } from "./plans";

const fake = await startFakeTreble();
const tempDb = setupTempDatabase({
  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  WEBHOOK_SIGNING_SECRET: undefined,
  TREBLE_API_URL: fake.url,
  TREBLE_API_KEY: fake.apiKey,
  TREBLE_API_TIMEOUT_MS: "60000",
});
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await fake.close();
  tempDb.cleanup();
});

const WORKER = path.join(process.cwd(), "lib", "testing", "redeploy-worker-process.ts");

/** The worker in its own process: node itself (with tsx's loader), so its PID is the one killed. */
function startWorker(): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER], { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: "silent" }, stdio: "ignore" });
  children.push(child);
  return { child, exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code))) };
}

const batchStatuses = (planId: number) => getDb().sqlite.prepare("SELECT status FROM redeploy_batches WHERE plan_id = ? ORDER BY seq").pluck().all(planId);

it("kill -9 mid-plan: after a restart the plan resumes and no recorded batch is sent again", async () => {
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const events = Array.from({ length: 1201 }, (_, i) => {
    const event = failureEvent({ timestamp: at, failure_reason: "FAILURE", hsm: { name: "camp_restart" }, user: { country_code: "57", cellphone: String(3100000000 + i) }, poll_id: "poll-R" });
    return prepareEvent(event, JSON.stringify(event), Date.now());
  });
  storeEvents(getDb(), events);
  const by = { actor: SYSTEM_ACTOR, ip: null };
  const plan = await createPlan({ filter: { template: "camp_restart" } }, by);
  expect(plan.batches.map((b) => b.size)).toEqual([500, 500, 201]);

  // The first call is answered; the second hangs, and the worker is killed while it waits.
  fake.behave((n) => (n === 2 ? "hang" : "ok"));
  await sendPlan(plan.id, { confirm: 1201 }, by);
  const first = startWorker();
  await fake.waitForCalls(2);
  expect(batchStatuses(plan.id)).toEqual(["sent", "sending", "pending"]);
  first.child.kill("SIGKILL");
  expect(await first.exited).toBe("SIGKILL");

  fake.behave(() => "ok");
  const second = startWorker();
  const ended = await until("the plan to end", async () => {
    const p = await getPlan(plan.id);
    return p.status !== "sending" && p;
  });
  second.child.kill("SIGKILL");

  // Batch 1 was recorded sent, batch 2 recorded sending: neither went out again. Batch 3 did.
  expect(fake.calls.map((c) => c.users.length)).toEqual([500, 500, 201]);
  expect(ended.batches.map((b) => b.status)).toEqual(["sent", "unknown", "sent"]);
  expect(ended.batches[1]!.message).toContain("server stopped during this call");
  const phones = fake.calls.flatMap((c) => c.users.map((u) => u.cellphone));
  expect(new Set(phones).size).toBe(1201);
  // It ends failed, saying one batch's outcome is unknown (Treble may well have it).
  expect(ended.status).toBe("failed");
  expect(ended.error).toContain("1 of unknown outcome");
}, 90_000);
