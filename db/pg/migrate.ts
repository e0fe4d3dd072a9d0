import path from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { connectPg } from "./connection";

/**
 * The advisory lock every Faultline instance takes around migrations (an arbitrary constant: it
 * only has to differ from the other lock keys the app takes).
 */
export const MIGRATION_LOCK_KEY = 7_346_512_001;

export const PG_MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations-pg");

export interface PgMigrationResult {
  /** Migrations this call applied (0 when another instance already had). */
  applied: number;
  /** Migrations recorded in the database afterwards. */
  total: number;
  /** How long this call waited for another instance's migration to finish. */
  waitedMs: number;
}

/**
 * Applies pending PostgreSQL migrations (db/migrations-pg) under a session advisory lock, so
 * instances starting together migrate once: the first applies them, the others wait on the lock
 * and then find nothing left to apply. The lock ends with the session if the process dies.
 */
export async function migratePostgres(url: string, migrationsFolder = PG_MIGRATIONS_FOLDER): Promise<PgMigrationResult> {
  const client = await connectPg(url);
  try {
    const asked = Date.now();
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    const waitedMs = Date.now() - asked;
    try {
      const before = await recorded(client);
      await migrate(drizzle(client), { migrationsFolder });
      const total = await recorded(client);
      return { applied: total - before, total, waitedMs };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function recorded(client: Awaited<ReturnType<typeof connectPg>>): Promise<number> {
  const exists = await client.query("SELECT 1 FROM pg_tables WHERE schemaname = 'drizzle' AND tablename = '__drizzle_migrations'");
  if (exists.rowCount === 0) return 0;
  const { rows } = await client.query<{ n: number }>("SELECT count(*) AS n FROM drizzle.__drizzle_migrations");
  return rows[0]?.n ?? 0;
}
