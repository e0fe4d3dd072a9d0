// `npm run db:migrate`: applies pending migrations to DATABASE_PATH without starting the server
// (the server also applies them at start).
import { closeDb, getDb } from "@/db/client";
import { getSettings } from "@/lib/config";

getDb();
const row = getDb().sqlite.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
console.log(`${getSettings().DATABASE_PATH}: ${row.n} migrations applied`);
closeDb();
