import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { connectPg } from "./connection";
import { MIGRATION_LOCK_KEY, migratePostgres, type PgMigrationResult } from "./migrate";

const WORKER = path.join(process.cwd(), "lib", "testing", "pg-migrate-worker.ts");
const run = promisify(execFile);

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, CLUSTER_START_TIMEOUT_MS);
afterAll(() => cluster?.stop());

const journal = async () => (await import("@/db/migrations-pg/meta/_journal.json")).entries.length;

describe("PostgreSQL migrations at start", () => {
  it("four instances starting together on a fresh database migrate it once, and all start", { timeout: 60_000 }, async () => {
    const url = cluster.createDatabase("four_instances");
    // The test holds the migration lock until all four instances wait on it: they provably overlap.
    const holder = await connectPg(url);
    await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const instances = Array.from({ length: 4 }, () => run(process.execPath, ["--import", "tsx", WORKER, url], { cwd: process.cwd(), env: process.env }));
    const waiting = async () =>
      (
        await holder.query<{ n: number }>(
          "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = ($1::bigint & 4294967295)::oid",
          [MIGRATION_LOCK_KEY],
        )
      ).rows[0]!.n;
    const deadline = Date.now() + 15_000;
    while ((await waiting()) < 4) {
      if (Date.now() > deadline) throw new Error("the four instances never all waited on the migration lock");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await waiting()).toBe(4);
    await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);

    const results = (await Promise.all(instances)).map((r) => JSON.parse(r.stdout.trim()) as PgMigrationResult);
    const expected = await journal();
    expect(results.map((r) => r.applied).sort()).toEqual([0, 0, 0, expected]);
    expect(results.every((r) => r.total === expected)).toBe(true);
    const { rows } = await holder.query<{ n: number }>("SELECT count(*) AS n FROM drizzle.__drizzle_migrations");
    expect(rows[0]!.n).toBe(expected);
    const tables = await holder.query<{ n: number }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'failures'");
    expect(tables.rows[0]!.n).toBe(1);
    await holder.end();
  });

  it("is a no-op on an up-to-date database", async () => {
    const url = cluster.createDatabase("up_to_date");
    const first = await migratePostgres(url);
    expect(first.applied).toBe(await journal());
    expect(await migratePostgres(url)).toMatchObject({ applied: 0, total: first.total });
  });
});
