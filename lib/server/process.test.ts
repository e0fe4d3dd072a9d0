import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureEvent } from "@/lib/testing/fixtures";
import { seededRandom, testSeed } from "@/lib/testing/prng";
import { ensureProductionBuild, startServerProcess, type ServerProcess } from "@/lib/testing/server-process";
import { storedDedupeKeys, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";

// The real production server (dist/server.mjs) as a child process: kill -9 mid-load, restarts,
// graceful shutdown and its logs. Replay a run with CRASH_SEED=<seed printed below>.
const SEED = testSeed("CRASH_SEED");
console.log(`crash test seed: ${SEED} (replay with CRASH_SEED=${SEED})`);
const random = seededRandom(SEED);

const ROUNDS = 4;
const CONCURRENCY = 32;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-process-"));
const children: ServerProcess[] = [];

beforeAll(() => ensureProductionBuild(), 15 * 60_000);
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) process.kill(c.pid, "SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(dbFile: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({ DATABASE_PATH: dbFile, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, ...env });
  children.push(server);
  return server;
}

const webhookUrl = (origin: string) => `${origin}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`;

/**
 * CONCURRENCY senders posting unique events until the server goes away; returns the ids that
 * were answered 2xx. `onFirstAck` fires once, so the kill lands while acknowledgements flow.
 */
async function driveUntilDead(origin: string, round: number, onFirstAck: () => void): Promise<string[]> {
  const acked: string[] = [];
  const worker = async (w: number) => {
    for (let i = 0; ; i++) {
      const id = `crash-${round}-${w}-${i}`;
      try {
        const res = await fetch(webhookUrl(origin), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(failureEvent({ event_id: id, user: { country_code: "57", cellphone: String(3_000_000_000 + round * 1e6 + w * 1e4 + i) } })),
        });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) {
          acked.push(id);
          if (acked.length === 1) onFirstAck();
        }
      } catch {
        return; // the server is gone
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  return acked;
}

/** Every acknowledged event is stored exactly once, counters agree with rows, the file is intact. */
function checkDatabase(dbFile: string, acked: Set<string>): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const ids = storedDedupeKeys(db);
    const stored = new Set(ids);
    expect(stored.size).toBe(ids.length);
    const missing = [...acked].filter((id) => !stored.has(id));
    expect(missing, "acknowledged but not stored").toEqual([]);
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    expect(count("SELECT count(*) FROM failures")).toBe(ids.length);
    expect(count("SELECT coalesce(sum(failures), 0) FROM rollup_day")).toBe(ids.length);
    expect(count("SELECT coalesce(sum(failures), 0) FROM incidents")).toBe(ids.length);
    return ids.length;
  } finally {
    db.close();
  }
}

describe("the production server process", () => {
  it(`loses no acknowledged event when killed with SIGKILL mid-load (${ROUNDS} rounds)`, async () => {
    const dbFile = path.join(dir, "crash.db");
    const acked = new Set<string>();
    let server = await start(dbFile);
    for (let round = 0; round < ROUNDS; round++) {
      const target = server;
      const delay = 50 + Math.floor(random() * 700);
      const load = driveUntilDead(target.origin, round, () => setTimeout(() => process.kill(target.pid, "SIGKILL"), delay));
      const roundAcked = await load;
      expect((await target.exited).signal).toBe("SIGKILL");
      for (const id of roundAcked) acked.add(id);
      server = await start(dbFile);
      const stored = checkDatabase(dbFile, acked);
      console.log(`crash round ${round + 1}: killed ${delay} ms after the first 2xx; ${roundAcked.length} acknowledged, ${stored} stored in total`);
      expect(roundAcked.length).toBeGreaterThan(0);
    }
    process.kill(server.pid, "SIGTERM");
    expect((await server.exited).code).toBe(0);
  }, 120_000);

  it("on SIGTERM finishes the in-flight request, refuses new ones, checkpoints and exits 0; logs rejections without secrets", async () => {
    const dbFile = path.join(dir, "shutdown.db");
    // Info: the shutdown's own lines are checked too (and that no secret is in any line).
    const server = await start(dbFile, { LOG_LEVEL: "info" });

    // A rejected request whose URL carries the token and whose body quotes a phone number.
    const rejected = await fetch(webhookUrl(server.origin), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"event_type":"deployment.failure","cellphone":"573001234567",',
    });
    expect(rejected.status).toBe(400);

    // A batch of ten events: a group larger than INLINE_MAX_EVENTS, written on the ingest worker.
    const batch = await fetch(webhookUrl(server.origin), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Array.from({ length: 10 }, (_, i) => failureEvent({ event_id: `batch-before-sigterm-${i}` }))),
    });
    expect(batch.status).toBe(200);
    expect(await batch.json()).toEqual({ ok: true, accepted: 10, duplicates: 0, quarantined: 0 });

    const body = JSON.stringify(failureEvent({ event_id: "in-flight-at-sigterm" }));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(webhookUrl(server.origin), { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        process.kill(server.pid, "SIGTERM");
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 100);
    });
    // Once SIGTERM is handled, new connections are refused.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(fetch(webhookUrl(server.origin), { method: "POST", body: "{}" })).rejects.toThrow();

    const done = await answer;
    expect(done.status, done.body).toBe(200);
    expect(JSON.parse(done.body)).toEqual({ ok: true, accepted: 1, duplicates: 0, quarantined: 0 });
    const exit = await server.exited;
    expect(exit.code, server.output()).toBe(0);
    const wal = `${dbFile}-wal`;
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
    const db = new Database(dbFile, { readonly: true });
    expect(storedDedupeKeys(db).filter((key) => key === "in-flight-at-sigterm")).toHaveLength(1);
    db.close();

    const lines = server
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejection = lines.find((l) => l.msg === "request rejected" && l.code === "invalid_json");
    expect(rejection).toMatchObject({ status: 400, code: "invalid_json", ip: "127.0.0.1", method: "POST" });
    expect(rejection!.path).toBe("/api/webhooks/treble?token=[redacted]");
    expect(server.output()).not.toContain(TEST_WEBHOOK_SECRET);
    expect(server.output()).not.toContain("573001234567");
    // The batch went through the ingest worker's thread, the lone in-flight event inline.
    expect(lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("ingest worker closed"))?.msg).toMatch(/groups written: 1 on its thread, 1 inline/);
  }, 90_000);
});
