import { defineConfig } from "drizzle-kit";

/** PostgreSQL migrations (DATABASE_URL): `npx drizzle-kit generate --config drizzle.pg.config.ts --name <name>`. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/pg/schema.ts",
  out: "./db/migrations-pg",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://localhost/faultline" },
});
