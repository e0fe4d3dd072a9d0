import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { openDatabase } from "./client";
import type { Engine } from "./engine";
import { migratePostgres } from "./pg/migrate";
import { numberPlaceholders, PgEngine } from "./pg/engine";
import { SqliteEngine } from "./sqlite/engine";
import { all, rowsStatement, rowWrites, runSteps, runStepsOn, runTogether, values, writeRows, type Write } from "./steps";

/**
 * One contract, two engines: the same statements against a migrated SQLite file and a migrated
 * throwaway PostgreSQL cluster must give the same rows.
 */

let cluster: PgCluster;
let dir: string;
const engines: Record<"sqlite" | "postgres", Engine> = {} as never;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-engine-"));
  engines.sqlite = new SqliteEngine(openDatabase(path.join(dir, "contract.db")).sqlite);
  cluster = await startPgCluster();
  const url = cluster.createDatabase("contract");
  await migratePostgres(url);
  engines.postgres = PgEngine.open(url);
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(Object.values(engines).map((e) => e.close()));
  cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(["sqlite", "postgres"] as const)("engine contract: %s", (name) => {
  const db = () => engines[name];

  beforeEach(async () => {
    for (const table of ["rollup_hour_reason", "settings", "line_labels", "alert_rules", "contact_sketch_hour"]) {
      await db().exec(`DELETE FROM ${table}`);
    }
  });

  it("binds ? placeholders in order, leaving ? inside quotes alone", async () => {
    await db().exec("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", ["a?", "it's '?'", 1]);
    const row = await db().one<{ key: string; value: string; q: string }>("SELECT key, value, '?' AS q FROM settings WHERE key = ? AND value = ?", ["a?", "it's '?'"]);
    expect(row).toEqual({ key: "a?", value: "it's '?'", q: "?" });
  });

  it("returns integers (epoch ms, ids, counts, sums) as numbers, flags as 0/1 and blobs as Buffers", async () => {
    const at = 1_767_225_600_123;
    const [rule] = await db().query<{ id: number }>(
      "INSERT INTO alert_rules (name, enabled, trigger, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      ["r", true, "incident_opened", "{}", at, at],
    );
    expect(typeof rule!.id).toBe("number");
    expect(await db().one("SELECT enabled, created_at FROM alert_rules WHERE id = ? AND enabled = 1", [rule!.id])).toEqual({ enabled: 1, created_at: at });
    await db().exec("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (?, ?, ?), (?, ?, ?)", [at, "A", 2_000_000_000, at, "B", 2_000_000_000]);
    expect(await db().one("SELECT count(*) AS n, sum(failures) AS total, sum(bucket) AS buckets FROM rollup_hour_reason")).toEqual({ n: 2, total: 4_000_000_000, buckets: 2 * at });
    const registers = Buffer.from([0, 1, 2, 255]);
    await db().exec("INSERT INTO contact_sketch_hour (bucket, reason, registers) VALUES (?, ?, ?)", [at, "*", registers]);
    expect((await db().one<{ registers: Buffer }>("SELECT registers FROM contact_sketch_hour"))!.registers.equals(registers)).toBe(true);
  });

  it("reads rows as arrays of their columns in the SELECT's order (values)", async () => {
    await db().exec("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (?, ?, ?), (?, ?, ?)", [2, "B", 5, 1, "A", 7]);
    const sql = "SELECT failures, reason, bucket FROM rollup_hour_reason ORDER BY bucket";
    expect(await runStepsOn(db(), values(sql, []))).toEqual([
      [7, "A", 1],
      [5, "B", 2],
    ]);
  });

  it("inserts once with ON CONFLICT DO NOTHING, and RETURNING says whether it did", async () => {
    const insert = "INSERT INTO line_labels (line, label, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING line";
    expect(await db().query(insert, ["+57", "Ventas", 1])).toEqual([{ line: "+57" }]);
    expect(await db().query(insert, ["+57", "Otra", 2])).toEqual([]);
    expect(await db().one("SELECT label FROM line_labels")).toEqual({ label: "Ventas" });
  });

  it("upserts with increments on a named conflict target", async () => {
    const bump = `INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (?, ?, ?)
      ON CONFLICT (bucket, reason) DO UPDATE SET failures = rollup_hour_reason.failures + excluded.failures`;
    await db().exec(bump, [0, "A", 2]);
    await db().exec(bump, [0, "A", 3]);
    expect(await db().query("SELECT bucket, reason, failures FROM rollup_hour_reason")).toEqual([{ bucket: 0, reason: "A", failures: 5 }]);
  });

  it("reports how many rows a write changed", async () => {
    await db().exec("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (1, 'A', 1), (2, 'A', 1), (3, 'B', 1)");
    expect(await db().exec("UPDATE rollup_hour_reason SET failures = 9 WHERE reason = ?", ["A"])).toEqual({ changes: 2 });
    expect(await db().exec("DELETE FROM rollup_hour_reason WHERE reason = ?", ["none"])).toEqual({ changes: 0 });
  });

  it("spells the dialect's differences: JSON list parameters, JSON aggregation, least/greatest, row ids", async () => {
    const d = db().dialect;
    await db().exec("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (10, 'A', 1), (20, 'B', 2), (30, 'C', 3)");
    expect(await db().query(`SELECT bucket FROM rollup_hour_reason WHERE bucket IN ${d.jsonArrayValues("integer")} ORDER BY bucket`, [JSON.stringify([30, 10, 99])])).toEqual([
      { bucket: 10 },
      { bucket: 30 },
    ]);
    expect(await db().query(`SELECT reason FROM rollup_hour_reason WHERE reason IN ${d.jsonArrayValues("text")} ORDER BY reason`, [JSON.stringify(["B", "Z"])])).toEqual([{ reason: "B" }]);
    const spans = JSON.stringify([
      [0, 0, 25],
      [1, 15, 100],
    ]);
    expect(
      await db().query(
        `WITH s(k, a, b) AS (${d.jsonTuples(["integer", "integer", "integer"])})
         SELECT s.k AS k, sum(r.failures) AS n FROM s JOIN rollup_hour_reason r ON r.bucket >= s.a AND r.bucket < s.b GROUP BY 1 ORDER BY 1`,
        [spans],
      ),
    ).toEqual([
      { k: 0, n: 3 },
      { k: 1, n: 5 },
    ]);
    const ids = await db().one<{ ids: string }>(`SELECT ${d.jsonArrayAgg("bucket")} AS ids FROM (SELECT bucket FROM rollup_hour_reason ORDER BY bucket LIMIT 2) x`);
    expect(JSON.parse(ids!.ids)).toEqual([10, 20]);
    const none = await db().one<{ ids: string }>(`SELECT ${d.jsonArrayAgg("bucket")} AS ids FROM (SELECT bucket FROM rollup_hour_reason WHERE bucket < 0) x`);
    expect(JSON.parse(none!.ids)).toEqual([]);
    expect(await db().one(`SELECT ${d.least("bucket", "?")} AS lo, ${d.greatest("bucket", "?")} AS hi FROM rollup_hour_reason WHERE bucket = 20`, [15, 15])).toEqual({ lo: 15, hi: 20 });
    await db().exec("INSERT INTO settings (key, value) VALUES ('a', '1'), ('b', '2'), ('c', '3')");
    const removed = await db().exec(`DELETE FROM settings WHERE ${d.rowId} IN (SELECT ${d.rowId} FROM settings WHERE value >= ? LIMIT 2)`, ["1"]);
    expect(removed.changes).toBe(2);
    expect(await db().one("SELECT count(*) AS n FROM settings")).toEqual({ n: 1 });
  });

  it("writes many rows with one statement (writeRows, rowWrites) and independent writes together (runTogether)", async () => {
    const insert = rowsStatement(
      db().dialect,
      [
        ["bucket", "integer"],
        ["reason", "text"],
        ["registers", "blob"],
      ],
      (given) => `INSERT INTO contact_sketch_hour (bucket, reason, registers) SELECT bucket, reason, registers FROM ${given} WHERE true
        ON CONFLICT (bucket, reason) DO NOTHING RETURNING bucket, reason, registers`,
    );
    await db().exec("INSERT INTO contact_sketch_hour (bucket, reason, registers) VALUES (?, ?, ?)", [2, "stored", Buffer.from([7])]);
    const rows = [
      [1, "it's \"quoted\"", Buffer.from([0, 255, 16])],
      [2, "stored", Buffer.from([9])],
      [3, "", Buffer.alloc(0)],
    ];
    // Only the new rows come back, with their values as bound.
    expect(await db().transaction((tx) => runStepsOn(tx, writeRows(insert, rows)))).toEqual([
      { bucket: 1, reason: `it's "quoted"`, registers: Buffer.from([0, 255, 16]) },
      { bucket: 3, reason: "", registers: Buffer.alloc(0) },
    ]);

    // More writes than one combined statement takes (PostgreSQL): every one lands, in one transaction.
    const add = `INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (?, ?, ?)
      ON CONFLICT (bucket, reason) DO UPDATE SET failures = rollup_hour_reason.failures + excluded.failures`;
    const upsert = rowsStatement(
      db().dialect,
      [
        ["bucket", "integer"],
        ["failures", "integer"],
      ],
      (given) => `INSERT INTO rollup_hour_reason (bucket, reason, failures) SELECT bucket, 'rows', failures FROM ${given} WHERE true
        ON CONFLICT (bucket, reason) DO UPDATE SET failures = rollup_hour_reason.failures + excluded.failures`,
    );
    const writes: Write[] = [...Array.from({ length: 250 }, (_, i): Write => [add, [i, "one", 2]]), ...rowWrites(upsert, [[0, 5], [1, 6]])];
    for (let round = 0; round < 2; round++) await db().transaction((tx) => runStepsOn(tx, runTogether(tx.dialect, writes)));
    const sums = await db().query<{ reason: string; n: number; total: number }>(
      "SELECT reason, count(*) AS n, sum(failures) AS total FROM rollup_hour_reason GROUP BY reason ORDER BY reason",
    );
    expect(sums).toEqual([
      { reason: "one", n: 250, total: 1000 },
      { reason: "rows", n: 2, total: 22 },
    ]);
  });

  it("skips rows another transaction has picked when told to (PostgreSQL), in a subquery of a conditional UPDATE", async () => {
    await db().exec("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (1, 'A', 0), (2, 'B', 0), (3, 'C', 0)");
    const pick = `UPDATE rollup_hour_reason SET failures = failures + 1 WHERE (bucket, reason) IN (SELECT bucket, reason FROM rollup_hour_reason WHERE failures = 0 ORDER BY bucket LIMIT 2 ${db().dialect.skipLocked}) RETURNING bucket`;
    const first = await db().query<{ bucket: number }>(pick);
    expect(first.map((r) => r.bucket).sort()).toEqual([1, 2]);
    expect(await db().query(pick)).toEqual([{ bucket: 3 }]);
  });

  it("holds a lock for one holder at a time, until released", async () => {
    const lock = await db().tryLock(4242);
    expect(lock?.held).toBe(true);
    expect(await db().tryLock(4242)).toBeUndefined();
    const other = await db().tryLock(4243);
    expect(other?.held).toBe(true);
    expect(await lock!.verify()).toBe(true);
    await lock!.release();
    expect(lock!.held).toBe(false);
    expect(await lock!.verify()).toBe(false);
    const again = await db().tryLock(4242);
    expect(again?.held).toBe(true);
    await Promise.all([again!.release(), other!.release()]);
  });

  it("commits a transaction's writes together, or none of them when it throws", async () => {
    await db().transaction(async (tx) => {
      await tx.exec("INSERT INTO settings (key, value) VALUES (?, ?)", ["one", "1"]);
      await sleep(5);
      await tx.exec("INSERT INTO settings (key, value) VALUES (?, ?)", ["two", "2"]);
    });
    await expect(
      db().transaction(async (tx) => {
        await tx.exec("INSERT INTO settings (key, value) VALUES (?, ?)", ["three", "3"]);
        await sleep(5);
        await tx.exec("INSERT INTO settings (key, value) VALUES (?, ?)", ["one", "duplicate key"]);
      }),
    ).rejects.toThrow();
    expect(await db().query("SELECT key FROM settings ORDER BY key")).toEqual([{ key: "one" }, { key: "two" }]);
    // The default updated_at is the engine's clock in epoch ms.
    const { updated_at } = (await db().one<{ updated_at: number }>("SELECT updated_at FROM settings WHERE key = 'one'"))!;
    expect(Math.abs(updated_at - Date.now())).toBeLessThan(60_000);
  });

  it("never shows a transaction's uncommitted rows to statements outside it", async () => {
    let committedAt = Infinity;
    const inserted = db().transaction(async (tx) => {
      await tx.exec("INSERT INTO settings (key, value) VALUES ('pending', 'x')");
      await sleep(50);
      committedAt = Date.now();
    });
    await sleep(10);
    const seen = await db().one<{ n: number }>("SELECT count(*) AS n FROM settings WHERE key = 'pending'");
    const seenAt = Date.now();
    await inserted;
    // SQLite: the outside read waited its turn and sees the commit. PostgreSQL: it read the snapshot before it.
    if (seen!.n === 1) expect(seenAt).toBeGreaterThanOrEqual(committedAt);
    else expect(seen!.n).toBe(0);
  });

  it("refuses the engine itself inside its own transaction (the handle is tx)", async () => {
    await expect(db().transaction(async () => db().query("SELECT 1 AS one"))).rejects.toThrow(/use the transaction's handle/);
    // The engine is usable again afterwards.
    expect(await db().one("SELECT count(*) AS n FROM settings")).toEqual({ n: 0 });
  });

  it("loses no update when transactions read, wait and write the same row concurrently", async () => {
    await db().exec("INSERT INTO settings (key, value) VALUES ('counter', '0')");
    let inside = 0;
    let maxInside = 0;
    const increments = Array.from({ length: 6 }, () =>
      db().transaction(
        async (tx) => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          try {
            const row = await tx.one<{ value: string }>("SELECT value FROM settings WHERE key = 'counter'");
            await sleep(10);
            await tx.exec("UPDATE settings SET value = ? WHERE key = 'counter'", [String(Number(row!.value) + 1)]);
          } finally {
            inside--;
          }
        },
        { isolation: "serializable" },
      ),
    );
    await Promise.all(increments);
    expect(await db().one("SELECT value FROM settings WHERE key = 'counter'")).toEqual({ value: "6" });
    if (name === "sqlite") {
      // One connection: transactions take turns.
      expect(maxInside).toBe(1);
    } else {
      // A pooled connection each: they overlapped, and PostgreSQL's aborts were run again.
      expect(maxInside).toBeGreaterThan(1);
      expect((db() as PgEngine).retries).toBeGreaterThan(0);
    }
  });
});

describe("PostgreSQL skipping locked rows", () => {
  it("a second picker gets the rows the first one's open transaction did not take, without waiting for it", async () => {
    const pgEngine = engines.postgres;
    await pgEngine.exec("DELETE FROM rollup_hour_reason");
    await pgEngine.exec("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (1, 'A', 0), (2, 'B', 0), (3, 'C', 0)");
    const pick = `UPDATE rollup_hour_reason SET failures = failures + 1 WHERE (bucket, reason) IN (SELECT bucket, reason FROM rollup_hour_reason WHERE failures = 0 ORDER BY bucket LIMIT 2 ${pgEngine.dialect.skipLocked}) RETURNING bucket`;
    let picked!: () => void;
    let finish!: () => void;
    const firstPicked = new Promise<void>((resolve) => (picked = resolve));
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const first = pgEngine.transaction(async (tx) => {
      const rows = await tx.query<{ bucket: number }>(pick);
      picked();
      await finished;
      return rows.map((r) => r.bucket).sort();
    });
    await firstPicked;
    // Still uncommitted: the first picker's rows are locked, and skipped.
    expect(await pgEngine.query(pick)).toEqual([{ bucket: 3 }]);
    finish();
    expect(await first).toEqual([1, 2]);
  });
});

describe("PostgreSQL lock on a session of its own", () => {
  const holderOf = async (key: number) =>
    (await engines.postgres.one<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = ? AND granted", [key]))!.pid;

  it("is lost when its session ends, and then free for another holder", async () => {
    const pgEngine = engines.postgres;
    const lock = (await pgEngine.tryLock(4244))!;
    expect(await pgEngine.tryLock(4244)).toBeUndefined();
    await pgEngine.one("SELECT pg_terminate_backend(?::int)", [await holderOf(4244)]);
    await expect.poll(() => lock.held, { timeout: 5000, interval: 10 }).toBe(false);
    expect(await lock.verify()).toBe(false);
    const next = await pgEngine.tryLock(4244);
    expect(next?.held).toBe(true);
    await Promise.all([next!.release(), lock.release()]);
  });

  it("tries again on the connection of a failed try (an instance not leading tries every few seconds)", async () => {
    const pgEngine = engines.postgres;
    const lock = (await pgEngine.tryLock(4245))!;
    const triers = async () =>
      (await pgEngine.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_try_advisory_lock%' AND pid <> ?", [await holderOf(4245)])).map((r) => r.pid);
    expect(await pgEngine.tryLock(4245)).toBeUndefined();
    const first = await triers();
    expect(first).toHaveLength(1);
    expect(await pgEngine.tryLock(4245)).toBeUndefined();
    expect(await triers()).toEqual(first);
    await lock.release();
  });
});

describe("PostgreSQL statements in transactions", () => {
  // One connection, so every transaction below runs on the connection that prepared the statement.
  let single: PgEngine;
  beforeAll(() => {
    single = PgEngine.open(cluster.createDatabase("prepared"), 1);
  });
  afterAll(() => single.close());

  const prepared = () => single.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name");

  it("are prepared once per connection and then only run", async () => {
    await single.exec("CREATE TABLE seen (n integer)");
    for (let i = 1; i <= 3; i++) await single.transaction((tx) => tx.exec("INSERT INTO seen (n) VALUES (?)", [i]));
    expect(await single.query("SELECT n FROM seen ORDER BY n")).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const names = (await prepared()).map((r) => r.name);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^faultline_/);
  });

  it("are named by their text: two engines on one pool (the server's bundle and Next's) share its connections", async () => {
    const twin = new PgEngine(single.pool);
    expect(await single.transaction((tx) => tx.query("SELECT 1 AS one"))).toEqual([{ one: 1 }]);
    expect(await twin.transaction((tx) => tx.query("SELECT 2 AS two"))).toEqual([{ two: 2 }]);
    expect(await twin.transaction((tx) => tx.query("SELECT 1 AS one"))).toEqual([{ one: 1 }]);
    expect(await single.transaction((tx) => tx.query("SELECT 2 AS two"))).toEqual([{ two: 2 }]);
  });

  it("keep working when a table changed shape under them (another instance migrated)", async () => {
    await single.exec("CREATE TABLE shaped (a integer)");
    await single.exec("INSERT INTO shaped (a) VALUES (1)");
    const read = () => single.transaction((tx) => tx.query("SELECT * FROM shaped"));
    const before = (await prepared()).length;
    expect(await read()).toEqual([{ a: 1 }]);
    expect(await prepared()).toHaveLength(before + 1);
    await single.exec("ALTER TABLE shaped ADD COLUMN b integer DEFAULT 7");
    // The statement prepared before fails with "cached plan must not change result type": the
    // transaction runs again with the statement prepared anew under another name.
    expect(await read()).toEqual([{ a: 1, b: 7 }]);
    expect(await prepared()).toHaveLength(before + 2);
  });
});

describe("SQLite engine beside synchronous code on the same connection", () => {
  it("finishes a transaction that awaits only tx calls before any other macrotask runs", async () => {
    const engine = engines.sqlite as SqliteEngine;
    const seenBySyncCode: boolean[] = [];
    const syncCode = () => seenBySyncCode.push(engine.sqlite.inTransaction);
    setImmediate(syncCode);
    setTimeout(syncCode, 0);
    await engine.transaction(async (tx) => {
      for (let i = 0; i < 50; i++) await tx.exec("INSERT INTO settings (key, value) VALUES (?, 'x') ON CONFLICT (key) DO NOTHING", [`sync-${i}`]);
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(seenBySyncCode).toEqual([false, false]);
  });
});

describe("steps run synchronously on a better-sqlite3 connection (runSteps)", () => {
  it("read rows as arrays (values) without changing what the same statement answers as objects (all)", () => {
    const { sqlite } = engines.sqlite as SqliteEngine;
    sqlite.prepare("DELETE FROM rollup_hour_reason").run();
    sqlite.prepare("INSERT INTO rollup_hour_reason (bucket, reason, failures) VALUES (1, 'A', 7)").run();
    const sql = "SELECT failures, reason, bucket FROM rollup_hour_reason WHERE bucket >= ?";
    expect(runSteps(sqlite, all(sql, [0]))).toEqual([{ failures: 7, reason: "A", bucket: 1 }]);
    expect(runSteps(sqlite, values(sql, [0]))).toEqual([[7, "A", 1]]);
    expect(runSteps(sqlite, all(sql, [0]))).toEqual([{ failures: 7, reason: "A", bucket: 1 }]);
  });
});

describe("placeholders for PostgreSQL", () => {
  it("numbers ? outside quoted text, quoted names and comments", () => {
    expect(numberPlaceholders(`SELECT '?', "a?b", ? -- why?\n, ? /* ? */ FROM t WHERE x = ? AND y = 'it''s ?'`)).toBe(
      `SELECT '?', "a?b", $1 -- why?\n, $2 /* ? */ FROM t WHERE x = $3 AND y = 'it''s ?'`,
    );
  });
});
