import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, getDb, getEngine } from "@/db/client";
import { ConflictError } from "@/lib/http/errors";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import type { IncidentItem } from "@/lib/queries/incidents";
import { setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { acknowledgeIncident } from "./acknowledge";
import { bulkAction, type BulkResult } from "./bulk";
import { resolveIncident } from "./resolve";
import { snoozeIncident } from "./snooze";
import { holdLock } from "@/lib/testing/hold-lock";

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

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

describe("on SQLite: two processes", () => {
  beforeAll(() => databases.use("sqlite"));

  // On SQLite one process's engine runs its transactions one after another, so these races are
  // between processes: each conditional UPDATE runs on its own connection, and the one that
  // commits second finds the status already changed. Both contenders read "open" just before
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
});

describe("on PostgreSQL: two pooled connections", () => {
  beforeAll(() => databases.use("postgres"), CLUSTER_START_TIMEOUT_MS);

  let templates = 0;
  async function pgIncident(): Promise<number> {
    const at = Date.now();
    const row = await getEngine().one<{ id: number }>(
      "INSERT INTO incidents (reason, line_key, template_key, first_seen, last_seen, failures, contacts, updated_at) VALUES ('131026', '573001112233', ?, ?, ?, 1, 1, ?) RETURNING id",
      [`race_${++templates}`, at, at, at],
    );
    return row!.id;
  }

  const waitingUpdates = async () =>
    (await getEngine().one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE incidents SET %'",
    ))!.n;

  type Result<T> = { outcome: "won"; item: T } | { outcome: "conflict"; current: IncidentItem };

  /**
   * Starts both contenders while a third connection holds the incident's row lock, waits until
   * PostgreSQL shows both of their UPDATEs waiting on it — two transactions open at once, the
   * overlap proven — then lets them go.
   */
  async function raceOnHeldRow<T>(id: number, contenders: Array<() => Promise<T>>): Promise<Array<Result<T>>> {
    const held = await holdLock(getEngine(), (tx) => tx.one("SELECT id FROM incidents WHERE id = ? FOR UPDATE", [id]));
    const outcomes = contenders.map((act) =>
      act().then(
        (item): Result<T> => ({ outcome: "won", item }),
        (err: unknown): Result<T> => {
          if (!(err instanceof ConflictError)) throw err;
          return { outcome: "conflict", current: err.current as IncidentItem };
        },
      ),
    );
    await expect.poll(waitingUpdates, { timeout: 10_000, interval: 20 }).toBe(contenders.length);
    await held.release();
    return Promise.all(outcomes);
  }

  const activityCountPg = async (id: number, action: string) =>
    (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM incident_activity WHERE incident_id = ? AND action = ?", [id, action]))!.n;
  const auditCount = async (id: number) => (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE target = ?", [`incident #${id}`]))!.n;
  const actor = (email: string) => ({ actor: { id: null, email }, ip: null });

  it("two acknowledgements of one incident at once: one wins, the other gets a conflict with the winner's state", async () => {
    const id = await pgIncident();
    const results = await raceOnHeldRow(id, [
      () => acknowledgeIncident(id, { note: "a" }, actor("a@test.example")),
      () => acknowledgeIncident(id, { note: "b" }, actor("b@test.example")),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    const won = results.find((r) => r.outcome === "won")!;
    const lost = results.find((r) => r.outcome === "conflict")!;
    expect(lost.current).toMatchObject({ status: "acknowledged", acknowledgedBy: won.item.acknowledgedBy });
    expect(await activityCountPg(id, "acknowledged")).toBe(1);
    expect(await auditCount(id)).toBe(1);
  });

  it("snooze against resolve at once: exactly one happens, the other is a 409 carrying it", async () => {
    const id = await pgIncident();
    const results = await raceOnHeldRow(id, [
      () => snoozeIncident(id, { hours: 1 }, actor("snoozer@test.example")),
      () => resolveIncident(id, {}, actor("resolver@test.example")),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["conflict", "won"]);
    const won = results.find((r) => r.outcome === "won")!;
    const lost = results.find((r) => r.outcome === "conflict")!;
    expect(lost.current).toMatchObject({ status: won.item.status, snooze: won.item.snooze });
    expect((await activityCountPg(id, "snoozed")) + (await activityCountPg(id, "resolved"))).toBe(1);
    expect(await auditCount(id)).toBe(1);
    expect((await getEngine().one<{ status: string }>("SELECT status FROM incidents WHERE id = ?", [id]))!.status).toBe(won.item.status);
  });

  it("a bulk acknowledge against a single one on a shared incident: exactly one acknowledges it, and the bulk counts say which", async () => {
    const only = await pgIncident();
    const shared = await pgIncident();
    const results = await raceOnHeldRow<BulkResult | IncidentItem>(shared, [
      () => bulkAction({ action: "acknowledge", ids: [shared, only] }, actor("bulk@test.example")),
      () => acknowledgeIncident(shared, {}, actor("single@test.example")),
    ]);
    const [bulk, single] = results;
    expect(bulk).toMatchObject({ outcome: "won" });
    const bulkCounts = (bulk as { item: BulkResult }).item;
    if (single!.outcome === "won") expect(bulkCounts).toEqual({ updated: 1, skipped: 1 });
    else expect([bulkCounts, single!.current.acknowledgedBy]).toEqual([{ updated: 2, skipped: 0 }, "bulk@test.example"]);
    expect(await activityCountPg(shared, "acknowledged")).toBe(1);
    expect(await activityCountPg(only, "acknowledged")).toBe(1);
  });
});
