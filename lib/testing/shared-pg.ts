import crypto from "node:crypto";
import { connectPg } from "@/db/pg/connection";
import { migratePostgres } from "@/db/pg/migrate";
import { findPostgresBin, startPgCluster, type PgCluster } from "./pg-cluster";

/**
 * One PostgreSQL cluster for a whole test run (vitest's global setup), with a migrated template
 * database: a test file's database is a copy of it (CREATE DATABASE … TEMPLATE, ~0.3 s) instead of
 * a cluster of its own started and migrated (~3 s idle, several times that with three files at
 * once). Databases isolate what the tests look at: advisory locks, LISTEN channels and rows are per
 * database; a test reading pg_stat_activity or pg_locks narrows it to its own database.
 */

/** A URL on the run's cluster whose role may create databases; test files' forks inherit it. */
const SHARED_CLUSTER_ENV = "FAULTLINE_TEST_PG_URL";
const TEMPLATE = "faultline_template";

async function onCluster(url: string, sql: string): Promise<void> {
  const client = await connectPg(url);
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Starts the run's cluster and its migrated template; undefined where PostgreSQL is not installed. */
export async function startSharedCluster(): Promise<PgCluster | undefined> {
  if (!findPostgresBin()) return undefined;
  // Three files at once, each with its pools, read workers and child servers' pools.
  const cluster = await startPgCluster({ roleCreatesDatabases: true, settings: { max_connections: "500" } });
  try {
    await migratePostgres(cluster.createDatabase(TEMPLATE));
  } catch (err) {
    cluster.stop();
    throw err;
  }
  process.env[SHARED_CLUSTER_ENV] = cluster.url;
  return cluster;
}

export interface SharedDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the run's shared cluster; undefined when the run has none. */
export async function sharedDatabase(): Promise<SharedDatabase | undefined> {
  const admin = process.env[SHARED_CLUSTER_ENV];
  if (!admin) return undefined;
  const name = `test_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  // The template's owner may copy it; nothing stays connected to it after the migration.
  await onCluster(admin, `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const drop = async () => {
    try {
      await onCluster(admin, `DROP DATABASE IF EXISTS ${name}`);
    } catch (err) {
      // Still in use (a pool closing after its file's cleanup): forcing it would end that pool's
      // connections with an error its process may not handle. The run's cluster goes at its end.
      if ((err as { code?: string }).code !== "55006") throw err;
    }
  };
  return { url: url.toString(), drop };
}
