import type http from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";
import { closeDb, closeEngine, getDb, getEngine } from "@/db/client";
import { startAlerts } from "@/lib/alerts/run";
import { ConfigError, getSettings, type Settings } from "@/lib/config";
import { withoutPassword } from "@/db/pg/connection";
import { migratePostgres } from "@/db/pg/migrate";
import { bootstrapAdmin, countUsers } from "@/lib/auth/users";
import { scheduleAuthPruning } from "@/lib/auth/prune";
import { discardSetupCode, issueSetupCode } from "@/lib/auth/setup-code";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { commitThrough } from "@/lib/ingest/group-commit";
import { IngestWorker } from "@/lib/ingest/ingest-worker";
import { webhookSecretAtStart, webhookUrl } from "@/lib/ingest/webhook-secret";
import { logger, redactUrl } from "@/lib/log";
import { scheduleIncidentTimers } from "@/lib/incidents/lifecycle";
import { Leader } from "@/lib/ops/leader";
import { scheduleOptimize } from "@/lib/ops/optimize";
import { scheduleRetention } from "@/lib/ops/retention";
import { closeReadPool, readPool } from "@/lib/read/pool";
import { startRedeployWorker } from "@/lib/redeploy/worker";
import { createAppServer } from "./app-server";

/** How long a graceful shutdown may wait for in-flight requests before exiting anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
/** While shutting down, connections that finished their request are closed this often. */
const CLOSE_IDLE_EVERY_MS = 100;

function loadSettings(): Settings {
  try {
    return getSettings();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger().fatal({ problems: err.message }, "invalid configuration");
      process.exit(1);
    }
    throw err;
  }
}

/**
 * On SIGTERM/SIGINT: stop accepting, let in-flight requests finish (their commits included), close
 * the read path and the database (`storage.close`), exit 0. Past the grace period the process exits
 * 1 with requests still open (their senders retry: nothing was acknowledged).
 */
function exitGracefully(server: http.Server, storage: Storage, stopTimers: () => void): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger().info({ signal }, "shutting down: finishing in-flight requests");
    stopTimers();
    const force = setTimeout(() => {
      logger().error("shutdown grace period over; exiting with requests still open");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      closeReadPool()
        .then(() => storage.close())
        .then(
          (closed) => {
            logger().info(`${closed}; exiting`);
            process.exit(0);
          },
          (err: unknown) => {
            logger().error({ err }, "closing the database failed on shutdown");
            process.exit(1);
          },
        );
    });
    // A keep-alive connection whose request just finished would hold close() open until its
    // client hangs up: close each as soon as it is idle.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), CLOSE_IDLE_EVERY_MS).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

/** What start and shutdown do differently per engine; everything else runs on getEngine(). */
interface Storage {
  /** The database in the "listening" line: the SQLite file, or the PostgreSQL URL without its password. */
  shown: string;
  /** Work of this process on its own database file (none on PostgreSQL); resolves with its stop. */
  startLocalWork(): Promise<() => void>;
  /** At shutdown, once the read path is closed; resolves with what it did, for the log. */
  close(): Promise<string>;
}

/**
 * DATABASE_URL: PostgreSQL, migrated under its advisory lock (instances starting together migrate
 * once), the SQLite file never opened. Otherwise the SQLite file at DATABASE_PATH, opened and
 * migrated here, with its read workers, its ingest worker and PRAGMA optimize, and its WAL
 * checkpointed at shutdown.
 */
async function openStorage(settings: Settings): Promise<Storage> {
  const url = settings.DATABASE_URL;
  if (url) {
    const migrated = await migratePostgres(url);
    logger().info({ database: withoutPassword(url), migrationsApplied: migrated.applied, waitedMs: migrated.waitedMs }, "PostgreSQL migrated");
    return {
      shown: withoutPassword(url),
      // Dashboard reads get a pool of their own, opened on first use (lib/read/engine-reads.ts).
      startLocalWork: async () => () => {},
      close: async () => {
        await closeEngine();
        return "database pools closed";
      },
    };
  }
  const handle = getDb();
  // Webhooks' events are written on a thread of their own, with its own connection: this thread
  // keeps receiving while a group commits (a lone event is written here, on this connection).
  const ingest = new IngestWorker({ databasePath: settings.DATABASE_PATH }, { inline: handle.sqlite });
  return {
    shown: settings.DATABASE_PATH,
    async startLocalWork() {
      // Read workers (dashboard reads off this thread) start with the server, not on the first click.
      await Promise.all([readPool().ready(), ingest.ready()]);
      commitThrough(getEngine(), ingest);
      return scheduleOptimize(handle.sqlite);
    },
    async close() {
      commitThrough(getEngine(), undefined);
      await ingest.close();
      handle.sqlite.pragma("wal_checkpoint(TRUNCATE)");
      closeDb();
      const { onWorker, inline } = ingest.written;
      return `ingest worker closed (groups written: ${onWorker} on its thread, ${inline} inline); database checkpointed and closed`;
    },
  };
}

/**
 * The production server (lib/server/app-server.ts) with Next behind it. Migrations run before
 * the port opens; retention runs on a timer when RETENTION_DAYS is set.
 */
export async function startServer(): Promise<http.Server> {
  const settings = loadSettings();
  const log = logger();
  const storage = await openStorage(settings);
  // The webhook's caches are filled before the port opens: its hot path never queries them.
  const secret = await webhookSecretAtStart();
  await readFieldMapping();
  const admin = await bootstrapAdmin(settings.ADMIN_EMAIL, settings.ADMIN_PASSWORD);
  // Whoever reaches a fresh server first must not become its admin: /setup needs a code that only
  // the start log shows. Issued before the port opens, so an earlier start's code is dead by then.
  let setupCode: string | null = null;
  if ((await countUsers()) === 0) setupCode = await issueSetupCode();
  else await discardSetupCode(getEngine());

  const stopLocalWork = await storage.startLocalWork();

  // The timers, retention, pruning and timed alert rules run on one instance of a cluster: the
  // leader's first try is awaited, so a lone instance runs them at once. Started before the port
  // opens, so nothing is awaited between listening and the SIGTERM handler (a SIGTERM right after
  // the port opened would otherwise kill the process outright).
  const leader = new Leader(getEngine());
  await leader.start();
  const stopRetention = settings.RETENTION_DAYS ? scheduleRetention(leader, settings.RETENTION_DAYS) : () => {};
  // Re-deployment plans are sent from a timer in this process, never on the webhook path.
  const redeployWorker = startRedeployWorker();
  const stopAuthPruning = scheduleAuthPruning(leader, settings.AUDIT_RETENTION_DAYS);
  const stopIncidentTimers = scheduleIncidentTimers(leader);
  const stopAlerts = startAlerts(leader);

  const app = next({ dev: false, dir: process.cwd(), hostname: settings.HOST, port: settings.PORT });
  const nextHandler = app.getRequestHandler();
  await app.prepare();

  const server = createAppServer(settings, nextHandler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.PORT, settings.HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = settings.HOST === "0.0.0.0" || settings.HOST === "::" ? "localhost" : settings.HOST;
  const base = settings.PUBLIC_URL ?? `http://${shownHost}:${port}`;
  log.info({ url: `http://${shownHost}:${port}`, database: storage.shown, pid: process.pid }, "listening");
  // A generated secret is shown in full once, on the start that generated it, as a plain line apart
  // from the JSON log records: it can be read nowhere else before anyone has signed in. Logs are
  // kept for long, so later starts only point to Settings.
  if (secret.generatedNow) process.stdout.write(`Webhook URL for Treble's webhook center:\n  ${webhookUrl(base, secret.secret)}\n`);
  else if (secret.source === "database") process.stdout.write(`Webhook URL for Treble's webhook center: sign in as an admin and open ${base}/settings\n`);
  log.info(
    { webhookUrl: redactUrl(webhookUrl(base, secret.secret)), secretSource: secret.source },
    secret.source === "env"
      ? "webhook secret from WEBHOOK_SECRET"
      : secret.generatedNow
        ? "webhook secret generated and kept in the database; the full URL is printed above this once, and admins see it on /settings"
        : "webhook secret kept in the database; admins see the full webhook URL on /settings",
  );
  if (admin === "created") log.info({ email: settings.ADMIN_EMAIL }, "created the first admin from ADMIN_EMAIL");
  if (setupCode) {
    process.stdout.write(`No account yet. Create the first admin at this one-time URL (each start prints a new one until then):\n  ${base}/setup?code=${setupCode}\n`);
    log.info("no account yet: open the setup URL printed above to create the first admin");
  }

  exitGracefully(server, storage, () => {
    stopRetention();
    stopAuthPruning();
    stopIncidentTimers();
    stopAlerts();
    void leader.stop();
    // A call in flight when the process exits is marked unknown by whoever next holds its plan (never re-sent).
    void redeployWorker.stop();
    stopLocalWork();
  });
  return server;
}
