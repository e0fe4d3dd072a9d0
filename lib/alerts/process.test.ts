import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase, setEngine } from "@/db/client";
import { SqliteEngine } from "@/db/sqlite/engine";
import { AlertReceiver } from "@/lib/testing/alert-receiver";
import { failureEvent } from "@/lib/testing/fixtures";
import { ensureProductionBuild, startServerProcess, type ServerProcess } from "@/lib/testing/server-process";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { createChannel } from "./channels";
import { createRule } from "./rules";

// The real production server (dist/server.mjs): deliveries pending in the outbox survive kill -9
// and all go out after the restart — each delivery id answered 2xx exactly once.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-alerts-process-"));
const dbFile = path.join(dir, "faultline.db");
const receiver = new AlertReceiver();
const children: ServerProcess[] = [];

beforeAll(async () => {
  ensureProductionBuild();
  await receiver.start();
}, 15 * 60_000);
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) process.kill(c.pid, "SIGKILL");
  await receiver.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = await startServerProcess({ DATABASE_PATH: dbFile, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, PUBLIC_URL: "https://faultline.example.com" });
  children.push(server);
  return server;
}

function deliveryStatuses(): Record<string, string> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare(`SELECT id, status FROM alert_deliveries`).all() as Array<{ id: string; status: string }>;
    return Object.fromEntries(rows.map((r) => [r.id, r.status]));
  } finally {
    db.close();
  }
}

async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const INCIDENTS = 12;
const SYSTEM = { actor: SYSTEM_ACTOR, ip: null };

it("delivers every pending notification after kill -9 and a restart, none twice per id", async () => {
  // Channel and rule written before the server starts, through the same lib verbs the API uses.
  const setup = openDatabase(dbFile);
  setEngine(new SqliteEngine(setup.sqlite));
  try {
    const channel = await createChannel({ type: "webhook", name: "receiver", url: receiver.url("/kill") }, SYSTEM);
    await createRule({ name: "every new incident", trigger: "incident_opened", channelIds: [channel.id] }, SYSTEM);
  } finally {
    setEngine(undefined);
  }
  setup.sqlite.close();

  // Three deliveries succeed; then the receiver stops answering, so the rest wait in the outbox.
  receiver.script("/kill", { status: 200 }, { status: 200 }, { status: 200 });
  receiver.setDefault("/kill", { status: 200, hang: true });
  const first = await start();
  const events = Array.from({ length: INCIDENTS }, (_, i) => failureEvent({ timestamp: new Date().toISOString(), line: `+5730000000${String(i).padStart(2, "0")}` }));
  const answer = await fetch(`${first.origin}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) });
  expect(answer.status).toBe(200);
  await until(() => receiver.on("/kill").length === 4, "three deliveries and a fourth in flight");
  await until(() => Object.values(deliveryStatuses()).filter((s) => s === "delivered").length === 3, "three recorded as delivered");

  process.kill(first.pid, "SIGKILL");
  expect((await first.exited).signal).toBe("SIGKILL");
  const afterKill = deliveryStatuses();
  expect(Object.keys(afterKill)).toHaveLength(INCIDENTS);
  expect(Object.values(afterKill).filter((s) => s === "pending")).toHaveLength(INCIDENTS - 3);

  receiver.setDefault("/kill", { status: 200 });
  await start();
  await until(() => Object.values(deliveryStatuses()).every((s) => s === "delivered"), "every delivery delivered after restart");

  const acceptedIds = receiver
    .on("/kill")
    .filter((r) => r.answered === 200)
    .map((r) => r.headers["webhook-id"]!);
  expect(new Set(acceptedIds)).toEqual(new Set(Object.keys(afterKill)));
  expect(acceptedIds).toHaveLength(INCIDENTS); // none accepted twice
  // The one cut off by the kill was sent again under the same id.
  const cutOff = receiver.on("/kill").find((r) => r.answered === null)!;
  expect(acceptedIds).toContain(cutOff.headers["webhook-id"]);
}, 120_000);
