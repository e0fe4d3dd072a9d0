// `npm run db:migrate`: applies pending migrations without starting the server (the server also
// applies them at start): to PostgreSQL when DATABASE_URL is set, else to SQLite at DATABASE_PATH.
import { closeDb, getDb } from "@/db/client";
import { withoutPassword } from "@/db/pg/connection";
import { migratePostgres } from "@/db/pg/migrate";
import { getSettings } from "@/lib/config";

const settings = getSettings();
if (settings.DATABASE_URL) {
  const url = settings.DATABASE_URL;
  migratePostgres(url).then(
    (r) => console.log(`${withoutPassword(url)}: ${r.total} migrations applied (${r.applied} now)`),
    (err: unknown) => {
      console.error(`${withoutPassword(url)}: migration failed:`, err);
      process.exit(1);
    },
  );
} else {
  getDb();
  const row = getDb().sqlite.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
  console.log(`${settings.DATABASE_PATH}: ${row.n} migrations applied`);
  closeDb();
}
