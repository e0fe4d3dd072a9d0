import { getDb, getEngine, setEngine } from "@/db/client";
import type { Engine } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import { migratePostgres } from "@/db/pg/migrate";
import { closeReadPool } from "@/lib/read/pool";
import { startPgCluster, type PgCluster } from "./pg-cluster";
import { sharedDatabase, type SharedDatabase } from "./shared-pg";
import { setupTempDatabase } from "./temp-db";

export type EngineName = "sqlite" | "postgres";

/** For `describe.each(ENGINES)`: the same tests on both engines. */
export const ENGINES: readonly EngineName[] = ["sqlite", "postgres"];

export interface EngineDatabases {
  /**
   * Points getEngine() at `name`'s database for this file: SQLite's is getDb()'s file; PostgreSQL's
   * is created on first use, a copy of the run's migrated template on its shared cluster
   * (lib/testing/shared-pg.ts), or without one a throwaway cluster of its own, migrated (give that
   * beforeAll CLUSTER_START_TIMEOUT_MS). One database per engine, so caches kept per dialect stay true.
   */
  use(name: EngineName): Promise<Engine>;
  /** The PostgreSQL database's URL, once `use("postgres")` made it (for tests that open pools of their own). */
  postgresUrl(): string;
  /**
   * Runs `fn` while `name`'s storage refuses writes: SQLite's connection is query_only; on
   * PostgreSQL the database defaults to read-only transactions, which only connections opened
   * afterwards see (so `fn` runs on a fresh engine). Call after `use(name)`.
   */
  whileReadOnly(name: EngineName, fn: () => Promise<void>): Promise<void>;
  /** Closes the read pools and the PostgreSQL engine, drops its database (or stops its cluster) and deletes the temporary folder. */
  cleanup(): Promise<void>;
}

/**
 * setupTempDatabase for test files that run one `describe` per engine (call it at the top of the
 * file, then `use(name)` in each describe's beforeAll).
 */
export function setupEngineDatabases(env: Record<string, string | undefined> = {}): EngineDatabases {
  const temp = setupTempDatabase(env);
  let cluster: PgCluster | undefined;
  let shared: SharedDatabase | undefined;
  let postgres: PgEngine | undefined;
  let url: string | undefined;
  return {
    async use(name) {
      if (name === "postgres" && !postgres) {
        shared = await sharedDatabase();
        if (shared) url = shared.url;
        else {
          cluster = await startPgCluster();
          url = cluster.createDatabase("faultline_test");
          await migratePostgres(url);
        }
        postgres = PgEngine.open(url);
      }
      setEngine(name === "postgres" ? postgres : undefined);
      return getEngine();
    },
    postgresUrl() {
      if (!url) throw new Error('postgresUrl(): call use("postgres") first');
      return url;
    },
    async whileReadOnly(name, fn) {
      if (name === "sqlite") {
        const sqlite = getDb().sqlite;
        sqlite.pragma("query_only = ON");
        try {
          await fn();
        } finally {
          sqlite.pragma("query_only = OFF");
        }
        return;
      }
      if (!postgres || !url) throw new Error('whileReadOnly(): call use("postgres") first');
      const database = `"${new URL(url).pathname.slice(1)}"`;
      await postgres.exec(`ALTER DATABASE ${database} SET default_transaction_read_only = on`);
      const readOnly = PgEngine.open(url);
      setEngine(readOnly);
      try {
        await fn();
      } finally {
        setEngine(postgres);
        await readOnly.close();
        await postgres.exec(`ALTER DATABASE ${database} RESET default_transaction_read_only`);
      }
    },
    async cleanup() {
      // PostgreSQL's read pools (lib/read) end before the cluster they are connected to.
      await closeReadPool();
      setEngine(undefined);
      await postgres?.close();
      await shared?.drop();
      cluster?.stop();
      temp.cleanup();
    },
  };
}
