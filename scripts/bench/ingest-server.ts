// The ingest path of the production server without Next, for `bench:ingest -- --engine postgres`:
// lib/server's app server (the webhook's routing, rate limit and handleWebhook → group commit on
// getEngine()) on DATABASE_URL or DATABASE_PATH, with the webhook's caches filled before the port
// opens, as startServer does. Webhooks never reach Next, so this is the hot path `dist/server.mjs`
// runs; it exists because the production server refuses DATABASE_URL until the read path is done
// (docs/postgresql.md, step 5). Once it serves PostgreSQL, the benchmark runs dist/server.mjs
// instead (ENGINE_SERVER_ARGS in ingest.ts). Only /api/health answers besides the webhook.
import type http from "node:http";
import { closeEngine, getDb } from "@/db/client";
import { migratePostgres } from "@/db/pg/migrate";
import { getSettings } from "@/lib/config";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { createAppServer } from "@/lib/server/app-server";

async function main(): Promise<void> {
  const settings = getSettings();
  if (settings.DATABASE_URL) await migratePostgres(settings.DATABASE_URL);
  else getDb(); // opening migrates
  await webhookSecretAtStart();
  await readFieldMapping();

  const server = createAppServer(settings, async (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(req.url === "/api/health" ? 200 : 404, { "content-type": "text/plain" }).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.PORT, settings.HOST, resolve);
  });

  // As the production server: in-flight requests (their commits) finish, then the database closes.
  process.once("SIGTERM", () => {
    server.close(() => {
      closeEngine().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 100).unref();
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
