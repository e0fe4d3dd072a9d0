import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, openDatabase } from "@/db/client";
import { isStorageUnavailable } from "@/db/errors";
import { failureEvent } from "@/lib/testing/fixtures";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { decodeDedupeKey, decodeSessionKeys } from "./compact-values";
import { prepareEvent } from "./handle-webhook";
import { decodePayload } from "./payload-codec";
import { INLINE_MAX_EVENTS, IngestWorker } from "./ingest-worker";
import type { PreparedEvent } from "./store";

// The server's committer: groups written on a worker thread's own connection to the same file.
const temp = setupTempDatabase();
afterAll(() => temp.cleanup());

const DYING_WORKER = path.join(process.cwd(), "lib", "testing", "dying-ingest-worker.ts");
const NOW = Date.UTC(2026, 11, 4, 12, 30);
let seq = 0;
function failure(overrides: Record<string, unknown> = {}): PreparedEvent {
  seq++;
  const event = failureEvent({ timestamp: new Date(NOW - seq * 1000).toISOString(), user: { country_code: "57", cellphone: String(3000000000 + (seq % 97)) }, ...overrides });
  return prepareEvent(event, JSON.stringify(event), NOW);
}

const count = (sql: string) => (getDb().sqlite.prepare(sql).get() as { n: number | null }).n ?? 0;

describe("the ingest worker", () => {
  let worker: IngestWorker;
  beforeAll(async () => {
    getDb(); // migrated, as the server does before it starts the worker
    worker = new IngestWorker({ databasePath: temp.file, lockWaitMs: 200 });
    await worker.ready();
  });
  afterAll(() => worker.close());

  it("commits concurrent requests together while this thread keeps running", async () => {
    const requests = Array.from({ length: 60 }, (_, i) => Array.from({ length: 50 }, () => failure({ failure_reason: i % 2 ? "INVALID_PHONE" : "FAILURE_BY_TIER_CAPACITY" })));
    // Timers of this thread fire while the groups are written: with the commit on this thread
    // (the in-process committer) not one would fire before every request is answered.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const results = await Promise.all(requests.map((events) => worker.submit(events)));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    expect(results.every((r) => r.accepted === 50 && r.duplicates === 0 && r.quarantined === 0)).toBe(true);
    expect(count("SELECT count(*) AS n FROM failures")).toBe(3000);
    expect(count("SELECT sum(failures) AS n FROM incidents")).toBe(3000);
    expect(count("SELECT sum(failures) AS n FROM rollup_hour_reason")).toBe(3000);
    expect(count("SELECT sum(failures) AS n FROM rollup_day")).toBe(3000);
    // A duplicate is told apart across threads as on one.
    const again = requests[0]!;
    expect(await worker.submit(again)).toEqual({ accepted: 0, duplicates: 50, quarantined: 0 });
  });

  it("rolls back only the request that fails, and rethrows its error here", async () => {
    const before = count("SELECT count(*) AS n FROM failures");
    const broken = failure();
    (broken.failure as unknown as { reason: null }).reason = null;
    const outcomes = await Promise.allSettled([worker.submit([failure()]), worker.submit([failure(), broken]), worker.submit([failure()])]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const refused = (outcomes[1] as PromiseRejectedResult).reason as { code?: string; message: string };
    expect(refused.code).toBe("SQLITE_CONSTRAINT_NOTNULL");
    expect(refused.message).toMatch(/NOT NULL constraint failed/);
    expect(count("SELECT count(*) AS n FROM failures")).toBe(before + 2);
    expect(count("SELECT count(*) AS n FROM raw_events")).toBe(count("SELECT count(*) AS n FROM failures"));
  });

  it("keeps every payload and session keys byte for byte when the worker writes them", async () => {
    // Encoded on this thread, handed over by structured clone, written by the worker.
    const events = Array.from({ length: 2 * INLINE_MAX_EVENTS }, (_, i) =>
      failureEvent({ event_id: `kept-${i}`, user_session_keys: [{ key: "order", value: `ord-${i} ñ` }], note: "x".repeat(i * 400) }),
    );
    const quarantined = { event_type: "deployment.failure", event_id: "kept-quarantined", timestamp: "not a time" };
    const texts = [...events, quarantined].map((e) => JSON.stringify(e));
    expect(await worker.submit(texts.map((text) => prepareEvent(JSON.parse(text), text, NOW)))).toEqual({ accepted: events.length, duplicates: 0, quarantined: 1 });
    const rows = getDb()
      .sqlite.prepare(
        `SELECT r.dedupe_key, r.payload, r.payload_codec, f.user_session_keys FROM raw_events r LEFT JOIN failures f ON f.raw_event_id = r.id WHERE r.id > (SELECT max(id) FROM raw_events) - ? ORDER BY r.id`,
      )
      .all(texts.length) as Array<{ dedupe_key: Buffer; payload: Buffer; payload_codec: number; user_session_keys: Buffer | null }>;
    expect(rows.map((r) => decodePayload(r.payload, r.payload_codec, decodeDedupeKey(r.dedupe_key)))).toEqual(texts);
    expect(rows.map((r) => decodeSessionKeys(r.user_session_keys))).toEqual([...events.map((_, i) => JSON.stringify([{ key: "order", value: `ord-${i} ñ` }])), null]);
  });

  it("fails a group with a retryable error while another connection holds the write lock, then recovers", async () => {
    const before = count("SELECT count(*) AS n FROM raw_events");
    const other = new Database(temp.file);
    try {
      other.exec("BEGIN IMMEDIATE");
      const err = await worker.submit([failure()]).catch((e: unknown) => e);
      expect(isStorageUnavailable(err)).toBe(true);
      expect((err as { code: string }).code).toBe("SQLITE_BUSY");
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
    expect(count("SELECT count(*) AS n FROM raw_events")).toBe(before);
    expect(await worker.submit([failure()])).toEqual({ accepted: 1, duplicates: 0, quarantined: 0 });
  });

  it("finishes the commit in flight before it closes; later commits are refused as retryable", async () => {
    const closing = new IngestWorker({ databasePath: temp.file });
    await closing.ready();
    const inFlight = closing.submit(Array.from({ length: 200 }, () => failure()));
    // The group is handed to the thread on the next turn; close after that.
    await new Promise((resolve) => setImmediate(resolve));
    await closing.close();
    expect(await inFlight).toEqual({ accepted: 200, duplicates: 0, quarantined: 0 });
    const refused = await closing.submit([failure()]).catch((e: unknown) => e);
    expect(isStorageUnavailable(refused)).toBe(true);
  });
});

describe("an ingest worker that dies", () => {
  it("fails its group with a retryable error, stores none of it, and the next group gets a new thread", { timeout: 30_000 }, async () => {
    const dying = new IngestWorker({ databasePath: temp.file }, { entry: DYING_WORKER });
    try {
      await dying.ready();
      const before = count("SELECT count(*) AS n FROM raw_events");
      const err = await dying.submit([failure({ event_id: "die-1" }), failure()]).catch((e: unknown) => e);
      expect(isStorageUnavailable(err)).toBe(true);
      expect((err as Error).message).toMatch(/ingest worker exited \(3\)/);
      expect(count("SELECT count(*) AS n FROM raw_events")).toBe(before);
      expect(await dying.submit([failure(), failure()])).toEqual({ accepted: 2, duplicates: 0, quarantined: 0 });
      expect(count("SELECT count(*) AS n FROM raw_events")).toBe(before + 2);
    } finally {
      await dying.close();
    }
  });
});

describe("an ingest worker that cannot open the database", () => {
  it("fails groups at once for a pause instead of starting a thread for each, then starts one again", { timeout: 30_000 }, async () => {
    const file = path.join(temp.dir, "not-yet.db");
    const worker = new IngestWorker({ databasePath: file });
    try {
      await expect(worker.ready()).rejects.toThrow(/ingest worker exited/);
      const err = await worker.submit([failure()]).catch((e: unknown) => e);
      expect(isStorageUnavailable(err)).toBe(true);
      expect((err as Error).message).toMatch(/could not start/);
      openDatabase(file).sqlite.close();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await worker.submit([failure()])).toEqual({ accepted: 1, duplicates: 0, quarantined: 0 });
    } finally {
      await worker.close();
    }
  });
});

describe("an ingest worker with an inline connection", () => {
  it("writes groups of at most INLINE_MAX_EVENTS events on this thread's connection, larger ones on the worker", { timeout: 30_000 }, async () => {
    const worker = new IngestWorker({ databasePath: temp.file }, { inline: getDb().sqlite, entry: DYING_WORKER });
    try {
      await worker.ready();
      const before = count("SELECT count(*) AS n FROM raw_events");
      // The dying worker ends on an event id starting with "die": a small group never reaches it.
      const small = [failure({ event_id: "die-inline" }), ...Array.from({ length: INLINE_MAX_EVENTS - 1 }, () => failure())];
      expect(await worker.submit(small)).toEqual({ accepted: INLINE_MAX_EVENTS, duplicates: 0, quarantined: 0 });
      expect(count("SELECT count(*) AS n FROM raw_events")).toBe(before + INLINE_MAX_EVENTS);
      const large = [failure({ event_id: "die-large" }), ...Array.from({ length: INLINE_MAX_EVENTS }, () => failure())];
      const err = await worker.submit(large).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/ingest worker exited \(3\)/);
      expect(count("SELECT count(*) AS n FROM raw_events")).toBe(before + INLINE_MAX_EVENTS);
    } finally {
      await worker.close();
    }
  });
});
