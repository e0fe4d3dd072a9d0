import http from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";
import { closeDb, getDb } from "@/db/client";
import { ConfigError, getSettings } from "@/lib/config";
import { CLIENT_IP_HEADER, resolveClientIp } from "@/lib/auth/client-ip";
import { bootstrapAdmin, countUsers } from "@/lib/auth/users";
import { ensureWebhookSecret, webhookUrl } from "@/lib/ingest/webhook-secret";
import { isWebhookRequest, serveWebhook } from "./webhook-listener";

/** How long a graceful shutdown may wait for in-flight requests before exiting anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The production server: webhooks are answered directly from lib/ (the hot path), every other
 * request goes to Next's handler. Migrations run before the port opens.
 */
export async function startServer(): Promise<http.Server> {
  let settings;
  try {
    settings = getSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const handle = getDb();
  const secret = ensureWebhookSecret(handle);
  const admin = await bootstrapAdmin(handle.db, settings.ADMIN_EMAIL, settings.ADMIN_PASSWORD);

  const app = next({ dev: false, dir: process.cwd(), hostname: settings.HOST, port: settings.PORT });
  const nextHandler = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    if (isWebhookRequest(req)) {
      serveWebhook(req, res).catch((err) => {
        console.error("webhook handler failed", err);
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { code: "internal_error", message: "Internal server error." } }));
      });
      return;
    }
    // Overwritten on every request, so a client cannot choose the address that lockouts and the
    // audit log see.
    const forwardedFor = req.headers["x-forwarded-for"];
    const ip = resolveClientIp(req.socket.remoteAddress, Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor, settings.TRUST_PROXY);
    if (ip) req.headers[CLIENT_IP_HEADER] = ip;
    else delete req.headers[CLIENT_IP_HEADER];
    void nextHandler(req, res);
  });
  // Slow or stalled clients must not hold sockets for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.PORT, settings.HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = settings.HOST === "0.0.0.0" || settings.HOST === "::" ? "localhost" : settings.HOST;
  const base = settings.PUBLIC_URL ?? `http://${shownHost}:${port}`;
  console.log(`Faultline listening on http://${shownHost}:${port} (database ${settings.DATABASE_PATH})`);
  console.log(
    `Webhook URL for Treble's webhook center${secret.source === "env" ? "" : " (secret generated and kept in the database)"}:\n  ${webhookUrl(base, secret.secret)}`,
  );
  if (admin === "created") console.log(`Created the first admin, ${settings.ADMIN_EMAIL}, from ADMIN_EMAIL.`);
  else if (admin === "unset" && countUsers(handle.db) === 0) console.log(`No account yet: open ${base}/setup to create the first admin.`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight requests, then exiting`);
    const force = setTimeout(() => {
      console.error("Shutdown grace period over; exiting with requests still open");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      try {
        getDb().sqlite.pragma("wal_checkpoint(TRUNCATE)");
        closeDb();
      } finally {
        process.exit(0);
      }
    });
    server.closeIdleConnections();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return server;
}
