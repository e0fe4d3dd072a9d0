import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { startFakeTreble } from "@/lib/testing/fake-treble";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { until } from "@/lib/testing/until";
import { sendPlan } from "./actions";
import { createPlan } from "./create-plan";
import { getPlan } from "./plans";

const fake = await startFakeTreble();
const databases = setupEngineDatabases({
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
  await databases.cleanup();
});

const WORKER = path.join(process.cwd(), "lib", "testing", "redeploy-worker-process.ts");
/**
 * The workers' plan lease on PostgreSQL, where the restarted process is a new instance that waits
 * for the killed one's lease to run out (the default, the Treble timeout plus a minute, is too long
 * for a test). SQLite's keep the default: the restarted server takes the plan back at once.
 */
const PG_LEASE_MS = 3000;

describe.each(ENGINES)("a worker killed mid-plan on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    fake.reset();
  }, CLUSTER_START_TIMEOUT_MS);

  /** The worker in its own process: node itself (with tsx's loader), so its PID is the one killed. */
  function startWorker(): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
    const env = { ...process.env, LOG_LEVEL: "silent", ...(name === "postgres" ? { DATABASE_URL: databases.postgresUrl() } : {}) };
    const args = ["--import", "tsx", WORKER, ...(name === "postgres" ? [String(PG_LEASE_MS)] : [])];
    const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: "ignore" });
    children.push(child);
    return { child, exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code))) };
  }

  const batchStatuses = async (planId: number) =>
    (await engine.query<{ status: string }>("SELECT status FROM redeploy_batches WHERE plan_id = ? ORDER BY seq", [planId])).map((r) => r.status);

  it("kill -9 mid-plan: after a restart the plan resumes and no recorded batch is sent again", async () => {
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const events = Array.from({ length: 1201 }, (_, i) => {
      const event = failureEvent({ timestamp: at, failure_reason: "FAILURE", hsm: { name: "camp_restart" }, user: { country_code: "57", cellphone: String(3100000000 + i) }, poll_id: "poll-R" });
      return prepareEvent(event, JSON.stringify(event), Date.now());
    });
    await commitEventsTo(engine, events);
    const by = { actor: SYSTEM_ACTOR, ip: null };
    const plan = await createPlan({ filter: { template: "camp_restart" } }, by);
    expect(plan.batches.map((b) => b.size)).toEqual([500, 500, 201]);

    // The first call is answered; the second hangs, and the worker is killed while it waits.
    fake.behave((n) => (n === 2 ? "hang" : "ok"));
    await sendPlan(plan.id, { confirm: 1201 }, by);
    const first = startWorker();
    await fake.waitForCalls(2);
    expect(await batchStatuses(plan.id)).toEqual(["sent", "sending", "pending"]);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const lease = (await engine.one<{ lease_until: number }>("SELECT lease_until FROM redeploy_plans WHERE id = ?", [plan.id]))!.lease_until;

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
    // On SQLite the restarted server took the plan back at once; on PostgreSQL, once the killed instance's lease ran out.
    if (name === "postgres") expect(fake.calls[2]!.at).toBeGreaterThanOrEqual(lease);
    else expect(fake.calls[2]!.at).toBeLessThan(lease);
    // It ends failed, saying one batch's outcome is unknown (Treble may well have it).
    expect(ended.status).toBe("failed");
    expect(ended.error).toContain("1 of unknown outcome");
  }, 90_000);
});
