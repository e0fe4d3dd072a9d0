import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { closeDb, getDb } from "@/db/client";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { failureEvent } from "@/lib/testing/fixtures";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => tempDb.cleanup());

const run = promisify(execFile);
const TSX = path.join(process.cwd(), "node_modules", ".bin", "tsx");
const WORKER = path.join(process.cwd(), "lib", "testing", "acknowledge-race-worker.ts");

// Route handlers in one process run their synchronous transactions one after another, so this
// race is between processes: each UPDATE … WHERE status IN ('open') runs on its own connection,
// and the one that commits second finds the status already changed.
it("two processes acknowledging one incident at the same instant: one wins, the other gets a conflict with the winner's state", async () => {
  const event = failureEvent();
  storeEvents(getDb(), [prepareEvent(event, JSON.stringify(event), Date.now())]);
  const id = getDb().sqlite.prepare("SELECT id FROM incidents").pluck().get() as number;
  closeDb();

  for (let round = 0; round < 2; round++) {
    getDb().sqlite.prepare("UPDATE incidents SET status = 'open' WHERE id = ?").run(id);
    // Far enough ahead for both processes to start and load the code.
    const startAt = String(Date.now() + 4000);
    const results = await Promise.all(
      ["a@test.example", "b@test.example"].map(async (email) => {
        const { stdout } = await run(TSX, [WORKER, String(id), startAt, email], { env: process.env, cwd: process.cwd() });
        return JSON.parse(stdout.trim()) as { outcome: string; by?: string; current?: { status: string; acknowledgedBy: string } };
      }),
    );
    expect(results.map((r) => r.outcome).sort()).toEqual(["acknowledged", "conflict"]);
    const winner = results.find((r) => r.outcome === "acknowledged")!.by;
    expect(results.find((r) => r.outcome === "conflict")!.current).toMatchObject({ status: "acknowledged", acknowledgedBy: winner });
  }
  const activity = getDb().sqlite.prepare("SELECT count(*) FROM incident_activity WHERE incident_id = ? AND action = 'acknowledged'").pluck().get(id);
  expect(activity).toBe(2);
}, 60_000);
