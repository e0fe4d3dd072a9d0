/**
 * One Faultline instance starting up, for db/pg/migrate.test.ts: migrates the PostgreSQL database
 * at argv[2] and prints what it did as one line of JSON. Its own process and connection, so the
 * advisory lock really is contended across processes.
 */
import { migratePostgres } from "@/db/pg/migrate";

migratePostgres(process.argv[2]!).then(
  (result) => console.log(JSON.stringify({ pid: process.pid, ...result })),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
