import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { afterAll, expect, it } from "vitest";
import { closeDb, getDb } from "@/db/client";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import type { IncidentItem } from "@/lib/queries/incidents";
import { failureEvent } from "@/lib/testing/fixtures";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => tempDb.cleanup());

const TSX = path.join(process.cwd(), "node_modules", ".bin", "tsx");
const WORKER = path.join(process.cwd(), "lib", "testing", "incident-race-worker.ts");

interface Outcome {
  outcome: "won" | "conflict";
  /** The status the contender read just before acting. */
  sawBefore: string;
  status?: string;
  by?: string;
  current?: IncidentItem;
}

/** Runs one contender per [action, e-mail] against incident `id`, started at the same instant once all are ready. */
async function race(id: number, contenders: Array<[string, string]>): Promise<Outcome[]> {
  const workers = contenders.map(([action, email]) => {
    const child = spawn(TSX, [WORKER, action, String(id), email], { env: process.env, cwd: process.cwd(), stdio: ["pipe", "pipe", "inherit"] });
    const lines = readline.createInterface({ input: child.stdout });
    const next = () => new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    return { child, next };
  });
  await Promise.all(workers.map((w) => w.next().then((line) => expect(line).toBe("ready"))));
  // Every contender has loaded its code and opened the database: start them together.
  const startAt = String(Date.now() + 300);
  const outcomes = workers.map((w) => w.next());
  for (const w of workers) w.child.stdin.end(`${startAt}\n`);
  return (await Promise.all(outcomes)).map((line) => JSON.parse(line) as Outcome);
}

function incident(): number {
  const event = failureEvent();
  storeEvents(getDb(), [prepareEvent(event, JSON.stringify(event), Date.now())]);
  return getDb().sqlite.prepare("SELECT max(id) FROM incidents").pluck().get() as number;
}

const reset = (id: number) => getDb().sqlite.prepare("UPDATE incidents SET status = 'open', snooze_until = NULL WHERE id = ?").run(id);
const activityCount = (id: number, action: string) =>
  getDb().sqlite.prepare("SELECT count(*) FROM incident_activity WHERE incident_id = ? AND action = ?").pluck().get(id, action) as number;

// Route handlers in one process run their synchronous transactions one after another, so these
// races are between processes: each conditional UPDATE runs on its own connection, and the one
// that commits second finds the status already changed. Both contenders read "open" just before
// acting in the rounds that count, which shows they overlapped: the loser read before the
// winner's commit.
it("two processes acknowledging one incident at the same instant: one wins, the other gets a conflict with the winner's state", async () => {
  const id = incident();
  closeDb();
  let overlapped = 0;
  for (let round = 0; round < 3; round++) {
    reset(id);
    const results = await race(id, [
      ["acknowledge", "a@test.example"],
      ["acknowledge", "b@test.example"],
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    const winner = results.find((r) => r.outcome === "won")!.by;
    expect(results.find((r) => r.outcome === "conflict")!.current).toMatchObject({ status: "acknowledged", acknowledgedBy: winner });
    if (results.every((r) => r.sawBefore === "open")) overlapped++;
  }
  expect(overlapped).toBeGreaterThan(0);
  expect(activityCount(id, "acknowledged")).toBe(3);
}, 90_000);

it("snooze against resolve at the same instant: exactly one happens, the other is a 409 carrying it", async () => {
  const id = incident();
  closeDb();
  let overlapped = 0;
  const winners = new Set<string>();
  for (let round = 0; round < 3; round++) {
    reset(id);
    const before = { snoozed: activityCount(id, "snoozed"), resolved: activityCount(id, "resolved") };
    const results = await race(id, [
      ["snooze", "snoozer@test.example"],
      ["resolve", "resolver@test.example"],
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    const won = results.find((r) => r.outcome === "won")!;
    const lost = results.find((r) => r.outcome === "conflict")!;
    winners.add(won.status!);
    expect(lost.current!.status).toBe(won.status);
    if (won.status === "snoozed") expect(lost.current!.snooze).toMatchObject({ failuresLeft: null, untilEscalating: false });
    else expect(lost.current).toMatchObject({ status: "resolved", resolvedBy: "resolver@test.example", snooze: null });
    // One transition written, the other nothing.
    expect(activityCount(id, "snoozed") - before.snoozed + activityCount(id, "resolved") - before.resolved).toBe(1);
    expect(getDb().sqlite.prepare("SELECT status FROM incidents WHERE id = ?").pluck().get(id)).toBe(won.status);
    if (results.every((r) => r.sawBefore === "open")) overlapped++;
  }
  expect(overlapped).toBeGreaterThan(0);
  expect([...winners].every((s) => s === "snoozed" || s === "resolved")).toBe(true);
}, 90_000);
