// npm run bench:ingest [-- --quick | --duration <seconds>] [--engine sqlite|postgres] [--instances N]
//
// Ingest benchmark (issue 2, "Benchmark"): the production server (dist/server.mjs) against two
// baselines receiving the same deployment.failure payload into the same tables — a minimal
// Express 5 receiver (scripts/bench/baseline-express.ts) and raw node:http + prepared statements
// (scripts/bench/baseline-raw.ts), the latter twice: with Faultline's synchronous=FULL and with
// synchronous=NORMAL (the near-limit of a hand-written receiver, issue 11). Each target runs alone, in its own process on its own fresh
// database, driven by autocannon at 1, 16 and 64 connections. Afterwards every database is checked
// against what the load generator saw, and the targets are judged:
//   faultline ≥ 1.0× express, ≥ 0.5× raw and ≥ 0.5× raw-normal (req/s at 64 connections),
//   faultline p99 ≤ 20 ms.
// With --engine postgres (issue 16) the targets are Faultline's ingest path on SQLite and on
// PostgreSQL, measured in the same run: a throwaway cluster (fsync on, tuned as BENCH_PG_SETTINGS
// says) migrated once, then --instances N server processes on that one database, the load spread
// over them; the report gives PostgreSQL's figures against SQLite's (ratios postgres/sqlite).
// Both run the production server (dist/server.mjs); every stored row is checked as above.
// Results go to stdout and to bench-results/ingest-<timestamp>.json; the exit code is non-zero if
// any check fails.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { connectPg } from "@/db/pg/connection";
import { migratePostgres } from "@/db/pg/migrate";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { BENCH_PG_SETTINGS } from "./pg-settings";

// ---------------------------------------------------------------------------------------------
// Configuration

const CONNECTIONS = [1, 16, 64] as const;
const TARGET_CONNECTIONS = 64;
const MIN_RATIO_EXPRESS = 1.0;
const MIN_RATIO_RAW = 0.5;
const MAX_P99_MS = 20;

const DEFAULT_SECONDS = 10;
const QUICK_SECONDS = 3;
/** Upper bound for --duration, so a typo cannot keep the machine busy for hours. */
const MAX_SECONDS = 120;
/** Warm-up (JIT, SQLite page cache, first WAL growth) before the measured points; not reported. */
const WARMUP_SECONDS = 2;
const QUICK_WARMUP_SECONDS = 1;
const WARMUP_CONNECTIONS = 16;
/** Pause between points so requests abandoned when autocannon stopped are finished server-side. */
const SETTLE_MS = 500;

/** Next's prepare() on a busy 2-core machine can take a while; a dead child is noticed sooner. */
const READY_TIMEOUT_MS = 90_000;
/** Faultline's own shutdown grace is 10 s; give it a little more before SIGKILL. */
const STOP_TIMEOUT_MS = 12_000;
const BUILD_TIMEOUT_MS = 15 * 60_000;
/** Seconds autocannon waits for an answer before counting a timeout. */
const REQUEST_TIMEOUT_S = 10;

/** Fixed and ≥ 16 characters (the server's minimum); only ever sent to 127.0.0.1. */
const WEBHOOK_SECRET = "faultline-bench-secret-0123456789";
const HOST = "127.0.0.1";
const WEBHOOK_PATH = "/api/webhooks/treble";
const HEALTH_PATH = "/api/health";

type TargetName = "faultline" | "express" | "raw" | "raw-normal" | "sqlite" | "postgres";

interface TargetDef {
  name: TargetName;
  /** Arguments to `node`: spawning node directly makes the child's PID the server's own. */
  nodeArgs: string[];
  /** Extra environment for the target. */
  env?: Record<string, string>;
  /** The database it writes: a fresh SQLite file (default) or the run's PostgreSQL cluster. */
  engine?: Engine;
  /** Server processes on that one database, the load spread over them (default 1). */
  instances?: number;
}

type Engine = "sqlite" | "postgres";
const MAX_INSTANCES = 8;
const PRODUCTION_SERVER = "dist/server.mjs";
const TARGETS: readonly TargetDef[] = [
  { name: "faultline", nodeArgs: [PRODUCTION_SERVER] },
  // --import tsx (rather than the tsx CLI) keeps a single process: the PID we stop is the server.
  { name: "express", nodeArgs: ["--import", "tsx", "scripts/bench/baseline-express.ts"] },
  { name: "raw", nodeArgs: ["--import", "tsx", "scripts/bench/baseline-raw.ts"] },
  { name: "raw-normal", nodeArgs: ["--import", "tsx", "scripts/bench/baseline-raw.ts"], env: { BASELINE_SYNCHRONOUS: "NORMAL" } },
];

// ---------------------------------------------------------------------------------------------
// Arguments

interface Options {
  seconds: number;
  warmupSeconds: number;
  quick: boolean;
  /** Folder for V8 CPU profiles of every target (node --cpu-prof), or undefined. */
  profileDir: string | undefined;
  engine: Engine;
  instances: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      quick: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      engine: { type: "string", default: "sqlite" },
      instances: { type: "string", default: "1" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      `Usage: npm run bench:ingest [-- --quick] [-- --duration <seconds>]\n` +
        `  --duration  seconds per measured point (default ${DEFAULT_SECONDS}, max ${MAX_SECONDS})\n` +
        `  --quick     ${QUICK_SECONDS} s per point and a shorter warm-up (a smoke run, not a measurement)\n` +
        `  --profile   also write a V8 CPU profile of each target to bench-results/profiles-<timestamp>/\n` +
        `              (profiling slows the targets: figures of such a run are not comparable)\n` +
        `  --engine    sqlite (default: the production server against the Express and raw baselines) or\n` +
        `              postgres (Faultline's ingest on PostgreSQL beside the same on SQLite, with ratios)\n` +
        `  --instances with --engine postgres: server processes on the one database (default 1, max ${MAX_INSTANCES})`,
    );
    process.exit(0);
  }
  const quick = values.quick ?? false;
  let seconds = quick ? QUICK_SECONDS : DEFAULT_SECONDS;
  if (values.duration !== undefined) {
    seconds = Number(values.duration);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SECONDS) {
      throw new Error(`--duration must be a whole number of seconds between 1 and ${MAX_SECONDS}`);
    }
  }
  const profileDir = values.profile
    ? path.join(process.cwd(), "bench-results", `profiles-${new Date().toISOString().replace(/[:.]/g, "-")}`)
    : undefined;
  const engine = values.engine;
  if (engine !== "sqlite" && engine !== "postgres") throw new Error("--engine must be sqlite or postgres");
  const instances = Number(values.instances);
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) throw new Error(`--instances must be 1…${MAX_INSTANCES}`);
  if (instances > 1 && engine === "sqlite") throw new Error("--instances needs --engine postgres (one server owns a SQLite file)");
  return { seconds, warmupSeconds: quick ? QUICK_WARMUP_SECONDS : WARMUP_SECONDS, quick, profileDir, engine, instances };
}

// ---------------------------------------------------------------------------------------------
// Payload and the ledger of every event id sent

const RUN_TAG = randomBytes(4).toString("hex");
const ID_SLOT = "@@EVENT_ID@@";
const CONTACT_SLOT = "@@CELLPHONE@@";

/**
 * A realistic deployment.failure event (~650 bytes) using the canonical field names, so the
 * baselines' naive mapping stores the same fields Faultline does. One campaign (same reason, line
 * and template) failing for a different contact each time, as a deployment does: a constant contact
 * would let Faultline's per-contact work (distinct-contact counting) short-circuit.
 */
function payloadParts(): [string, string, string] {
  const event = {
    event_type: "deployment.failure",
    event_id: ID_SLOT,
    timestamp: "2025-11-24T14:03:27.512Z",
    failure_reason: "FAILURE_BY_TIER_CAPACITY",
    line: "+573005550101",
    company: { id: "cmp_4821", name: "Acme Retail Colombia" },
    hsm: { name: "black_friday_reminder_v3", language: "es_CO" },
    user: { country_code: "57", cellphone: CONTACT_SLOT, name: "María Fernanda Gómez" },
    poll_id: "poll_98231",
    deployment_id: "dep_7f3a91c2e4",
    batch_id: "batch_000412",
    session_id: "sess_5d2e8b7f41a9c3",
    user_session_keys: [
      { key: "deployment_squad", value: "DS_573005550101" },
      { key: "crm_id", value: "CRM-0048213" },
      { key: "segment", value: "vip" },
    ],
  };
  const text = JSON.stringify(event);
  const [head = "", rest = ""] = text.split(ID_SLOT);
  const [middle = "", tail = ""] = rest.split(CONTACT_SLOT);
  return [head, middle, tail];
}

const [PART_0, PART_1, PART_2] = payloadParts();
/** Fixed width (like the cellphone below), so every request body has the same size. */
const eventId = (n: number) => `evt_${RUN_TAG}_${String(n).padStart(10, "0")}`;
/** A 10-digit Colombian mobile number, different for each of the first billion events. */
const cellphone = (n: number) => String(3_000_000_000 + (n % 1_000_000_000));
const bodyFor = (n: number) => PART_0 + eventId(n) + PART_1 + cellphone(n) + PART_2;
const ID_PATTERN = new RegExp(`^evt_${RUN_TAG}_(\\d{10})$`);

const EVENTS_PER_REQUEST = 1;

const SENT = 1;
const OK = 2;
const REJECTED = 3;

/**
 * What happened to every event id sent to one target: sent (no answer seen), answered 2xx, or
 * answered otherwise. Compared with the stored rows afterwards, this tells a lost acknowledged
 * write apart from a request autocannon abandoned in flight when its duration ran out (the server
 * may well have committed that one; nobody was told it succeeded).
 */
class Ledger {
  private status = new Uint8Array(1 << 16);
  private count = 0;

  issue(): number {
    if (this.count === this.status.length) {
      const bigger = new Uint8Array(this.status.length * 2);
      bigger.set(this.status);
      this.status = bigger;
    }
    this.status[this.count] = SENT;
    return this.count++;
  }

  answer(n: number, statusCode: number): void {
    this.status[n] = statusCode >= 200 && statusCode < 300 ? OK : REJECTED;
  }

  statusOf(n: number): number {
    return n < this.count ? (this.status[n] ?? 0) : 0;
  }

  totals(): { issued: number; ok: number; rejected: number; unanswered: number } {
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.status[i] === OK) ok++;
      else if (this.status[i] === REJECTED) rejected++;
    }
    return { issued: this.count, ok, rejected, unanswered: this.count - ok - rejected };
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last lines of the child's output, shown when something goes wrong. */
  log: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited: boolean;
}

const LOG_LINES_KEPT = 60;
const liveChildren = new Set<Child>();

function startChild(name: string, nodeArgs: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, nodeArgs, { cwd: process.cwd(), env, stdio: ["ignore", "pipe", "pipe"] });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      log.push(line);
      if (log.length > LOG_LINES_KEPT) log.shift();
    }
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const child: Child = {
    name,
    proc,
    pid: proc.pid,
    log,
    hasExited: false,
    exited: new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        child.hasExited = true;
        liveChildren.delete(child);
        resolve({ code, signal });
      });
    }),
  };
  liveChildren.add(child);
  return child;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SIGTERM by PID (graceful: in-flight requests finish, WAL checkpointed), SIGKILL if it hangs. */
async function stopChild(child: Child): Promise<void> {
  if (child.hasExited) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return; // Exited between the check and the signal.
  }
  const timedOut = await Promise.race([child.exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
  if (timedOut && !child.hasExited) {
    console.error(`  ${child.name} (pid ${child.pid}) did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; sending SIGKILL`);
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      return;
    }
    await Promise.race([child.exited, sleep(STOP_TIMEOUT_MS)]);
  }
}

/** Temp folder holding the SQLite databases; removed however the run ends. */
let tempDir: string | undefined;
/** The --engine postgres run's cluster; stopped however the run ends. */
let cluster: PgCluster | undefined;

function removeTempDir(): void {
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

function stopCluster(): void {
  cluster?.stop();
  cluster = undefined;
}

/** Last resort when the driver itself is exiting: synchronous, so it also works in 'exit'. */
function cleanUpNow(): void {
  for (const child of liveChildren) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  removeTempDir();
  stopCluster();
}

/** Ports of BENCH_PORT_BASE's range handed out in this run (each is bound by its server only later). */
const portsGiven = new Set<number>();

/**
 * A port the OS says is free right now (the server binds it a moment later; a clash fails loudly):
 * the first free one of BENCH_PORT_BASE…+9 when that is set (a machine whose users share out
 * port ranges), else any.
 */
async function freePort(): Promise<number> {
  const probe = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, HOST, () => {
        const address = server.address();
        server.close(() => resolve(address && typeof address === "object" ? address.port : undefined));
      });
    });
  const base = Number(process.env.BENCH_PORT_BASE ?? 0);
  const candidates = base > 0 ? Array.from({ length: 10 }, (_, i) => base + i) : [0];
  for (const candidate of candidates) {
    if (portsGiven.has(candidate)) continue;
    const port = await probe(candidate);
    if (port !== undefined) {
      if (base > 0) portsGiven.add(port);
      return port;
    }
  }
  throw new Error(base > 0 ? `no free port in ${base}…${base + 9} (BENCH_PORT_BASE)` : "could not determine a free port");
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

async function waitUntilReady(child: Child, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.hasExited) throw new Error(`${child.name} exited before becoming ready:\n${child.log.join("\n")}`);
    if ((await httpStatus(`http://${HOST}:${port}${HEALTH_PATH}`)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${child.name} not ready within ${READY_TIMEOUT_MS} ms:\n${child.log.join("\n")}`);
}

/** `database`: DATABASE_PATH (a SQLite file) or DATABASE_URL with it. */
function childEnv(port: number, database: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    HOST,
    PORT: String(port),
    WEBHOOK_SECRET,
  };
  // A signing secret in the caller's environment would make Faultline demand signatures (401s),
  // and a DATABASE_URL there would send a SQLite target to PostgreSQL.
  delete env.WEBHOOK_SIGNING_SECRET;
  delete env.PUBLIC_URL;
  delete env.DATABASE_URL;
  return { ...env, ...database };
}

// ---------------------------------------------------------------------------------------------
// Load

interface PointResult {
  target: TargetName;
  connections: number;
  seconds: number;
  reqPerSec: number;
  /** Events stored per second: one event per request body, so req/s × 1. */
  eventsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  sent: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * One closed-loop autocannon run. Every request is a new event (unique event_id, built in
 * setupRequest) so dedupe never short-circuits, and every answer is entered in the ledger.
 * Latencies are collected here at full resolution: autocannon's own histogram has 1 ms buckets,
 * too coarse for sub-millisecond p50s.
 */
async function drive(target: TargetName, urls: string[], ledger: Ledger, connections: number, seconds: number): Promise<PointResult> {
  let latencies = new Float64Array(1 << 16);
  let latencyCount = 0;
  const instance = autocannon({
    url: urls,
    method: "POST",
    headers: { "content-type": "application/json" },
    connections,
    duration: seconds,
    timeout: REQUEST_TIMEOUT_S,
    requests: [
      {
        method: "POST",
        setupRequest: (request, context) => {
          const n = ledger.issue();
          context.n = n;
          request.body = bodyFor(n);
          return request;
        },
        // One request in flight per connection (no pipelining), so the context names the answered id.
        onResponse: (status, _body, context) => {
          if (typeof context.n === "number") ledger.answer(context.n, status);
        },
      },
    ],
  });
  instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode < 200 || statusCode >= 300) return;
    if (latencyCount === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[latencyCount++] = responseTimeMs;
  });
  const result = await instance;
  const sorted = latencies.slice(0, latencyCount).sort();
  const ok2xx = result["2xx"];
  return {
    target,
    connections,
    seconds: result.duration,
    reqPerSec: result.duration > 0 ? ok2xx / result.duration : 0,
    eventsPerSec: result.duration > 0 ? (ok2xx * EVENTS_PER_REQUEST) / result.duration : 0,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    p99Ms: percentile(sorted, 0.99),
    ok2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    sent: result.requests.sent,
  };
}

// ---------------------------------------------------------------------------------------------
// Stored rows against the ledger

interface RowCheck {
  target: TargetName;
  rawEvents: number;
  failures: number;
  /** 2xx answers autocannon counted, warm-up included. */
  answered2xx: number;
  storedAnswered2xx: number;
  storedAnsweredNon2xx: number;
  /** Committed, but the answer was never read: in flight when autocannon stopped a run. */
  storedUnanswered: number;
  storedForeign: number;
  unansweredSent: number;
  /** How the target process ended after SIGTERM. */
  exit: string;
  conflicts?: StoredRows["conflicts"];
  ok: boolean;
  problems: string[];
}

/** What a target stored: its row counts and every raw event's dedupe key. */
interface StoredRows {
  rawEvents: number;
  failures: number;
  dedupeKeys: Array<string | Buffer>;
  /** PostgreSQL: transactions rolled back and deadlocks detected (each deadlock costs deadlock_timeout, then a rerun). */
  conflicts?: { rollbacks: number; deadlocks: number };
}

function storedInSqlite(databasePath: string): StoredRows {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { rawEvents: count("raw_events"), failures: count("failures"), dedupeKeys: db.prepare("SELECT dedupe_key FROM raw_events").pluck().all() as Array<string | Buffer> };
  } finally {
    db.close();
  }
}

async function storedInPostgres(url: string): Promise<StoredRows> {
  const client = await connectPg(url);
  try {
    const count = async (table: string) => (await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n;
    const keys = await client.query<{ dedupe_key: Buffer }>("SELECT dedupe_key FROM raw_events");
    const conflicts = await client.query<{ rollbacks: number; deadlocks: number }>(
      "SELECT xact_rollback::bigint AS rollbacks, deadlocks::bigint AS deadlocks FROM pg_stat_database WHERE datname = current_database()",
    );
    return { rawEvents: await count("raw_events"), failures: await count("failures"), dedupeKeys: keys.rows.map((r) => r.dedupe_key), conflicts: conflicts.rows[0] };
  } finally {
    await client.end();
  }
}

function checkRows(target: TargetName, stored: StoredRows, ledger: Ledger, counted2xx: number, exit: string): RowCheck {
  const { rawEvents, failures } = stored;
  let storedAnswered2xx = 0;
  let storedAnsweredNon2xx = 0;
  let storedUnanswered = 0;
  let storedForeign = 0;
  // Every bench event has an event_id, which is then its dedupe key (Faultline stores it compact, the baselines as text).
  for (const storedKey of stored.dedupeKeys) {
    const key = typeof storedKey === "string" ? storedKey : decodeDedupeKey(storedKey);
    const match = ID_PATTERN.exec(key);
    const n = match?.[1] === undefined ? -1 : Number(match[1]);
    const status = n < 0 ? 0 : ledger.statusOf(n);
    if (status === OK) storedAnswered2xx++;
    else if (status === REJECTED) storedAnsweredNon2xx++;
    else if (status === SENT) storedUnanswered++;
    else storedForeign++;
  }
  const totals = ledger.totals();
  const problems: string[] = [];
  if (counted2xx !== totals.ok) problems.push(`autocannon counted ${counted2xx} 2xx but the ledger has ${totals.ok} (bench bug)`);
  if (failures !== rawEvents) problems.push(`${rawEvents} raw_events rows but ${failures} failures rows`);
  if (storedAnswered2xx !== totals.ok) problems.push(`${totals.ok - storedAnswered2xx} events answered 2xx are not stored`);
  if (storedAnsweredNon2xx > 0) problems.push(`${storedAnsweredNon2xx} events answered non-2xx were stored anyway`);
  if (storedForeign > 0) problems.push(`${storedForeign} stored events were never sent by this run`);
  if (storedUnanswered > totals.unanswered) problems.push(`more unanswered events stored than were in flight`);
  return {
    target,
    rawEvents,
    failures,
    answered2xx: totals.ok,
    storedAnswered2xx,
    storedAnsweredNon2xx,
    storedUnanswered,
    storedForeign,
    unansweredSent: totals.unanswered,
    exit,
    conflicts: stored.conflicts,
    ok: problems.length === 0,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// One target, start to finish

/** Where a target writes: its environment, and how its rows are read back afterwards. */
interface TargetDatabase {
  env: Record<string, string>;
  shown: string;
  stored(): Promise<StoredRows>;
}

function targetDatabase(def: TargetDef, dir: string): TargetDatabase {
  if (def.engine === "postgres") {
    if (!cluster) throw new Error("no PostgreSQL cluster started (bench bug)");
    const url = cluster.url;
    // DATABASE_PATH too: nothing should open SQLite, and if something did it would not be ./data.
    return { env: { DATABASE_URL: url, DATABASE_PATH: path.join(dir, `${def.name}-unused.db`) }, shown: `PostgreSQL on 127.0.0.1:${cluster.port}`, stored: () => storedInPostgres(url) };
  }
  const databasePath = path.join(dir, `${def.name}.db`);
  return { env: { DATABASE_PATH: databasePath }, shown: databasePath, stored: async () => storedInSqlite(databasePath) };
}

async function benchTarget(def: TargetDef, dir: string, options: Options): Promise<{ points: PointResult[]; rows: RowCheck }> {
  const database = targetDatabase(def, dir);
  const instances = def.instances ?? 1;
  const ports: number[] = [];
  for (let i = 0; i < instances; i++) ports.push(await freePort());
  console.log(`\n▶ ${def.name}: ${instances} × node ${def.nodeArgs.join(" ")} on ${HOST}:${ports.join(", ")}, database ${database.shown}`);
  const children = ports.map((port, i) => {
    const name = instances > 1 ? `${def.name}-${i + 1}` : def.name;
    // node writes the profile when the process exits, which the graceful SIGTERM path does.
    const profileArgs = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
    return startChild(name, [...profileArgs, ...def.nodeArgs], { ...childEnv(port, database.env), ...def.env });
  });
  try {
    await Promise.all(children.map((child, i) => waitUntilReady(child, ports[i]!)));
    console.log(`  ready (pid ${children.map((c) => c.pid).join(", ")}); warm-up ${options.warmupSeconds} s at ${WARMUP_CONNECTIONS} connections`);
    const urls = ports.map((port) => `http://${HOST}:${port}${WEBHOOK_PATH}?token=${encodeURIComponent(WEBHOOK_SECRET)}`);
    const ledger = new Ledger();
    let counted2xx = 0;
    const warmup = await drive(def.name, urls, ledger, WARMUP_CONNECTIONS, options.warmupSeconds);
    counted2xx += warmup.ok2xx;
    const points: PointResult[] = [];
    for (const connections of CONNECTIONS) {
      await sleep(SETTLE_MS);
      const dead = children.find((c) => c.hasExited);
      if (dead) throw new Error(`${dead.name} exited during the run:\n${dead.log.join("\n")}`);
      const point = await drive(def.name, urls, ledger, connections, options.seconds);
      counted2xx += point.ok2xx;
      points.push(point);
      console.log(
        `  ${String(connections).padStart(2)} connections: ${point.reqPerSec.toFixed(0)} req/s, p50 ${point.p50Ms.toFixed(2)} ms, p95 ${point.p95Ms.toFixed(2)} ms, p99 ${point.p99Ms.toFixed(2)} ms`,
      );
    }
    await sleep(SETTLE_MS);
    // Stop first: the graceful shutdown finishes every in-flight request before the rows are counted.
    const exits = await Promise.all(
      children.map(async (child) => {
        await stopChild(child);
        const exit = await Promise.race([child.exited, sleep(STOP_TIMEOUT_MS).then(() => ({ code: null, signal: null }))]);
        const exitText = exit.signal ?? `code ${exit.code ?? "unknown"}`;
        if (exit.code !== 0) console.error(`  ${child.name} exited with ${exitText}:\n${child.log.join("\n")}`);
        return exitText;
      }),
    );
    const exitText = exits.every((e) => e === exits[0]) ? exits[0]! : exits.join(", ");
    return { points, rows: checkRows(def.name, await database.stored(), ledger, counted2xx, exitText) };
  } finally {
    await Promise.all(children.map(stopChild));
  }
}

// ---------------------------------------------------------------------------------------------
// Report

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  return rows
    .map((r) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join("  "))
    .join("\n");
}

function find(points: PointResult[], target: TargetName, connections: number): PointResult | undefined {
  return points.find((p) => p.target === target && p.connections === connections);
}

function judge(points: PointResult[], rowChecks: RowCheck[]): { checks: Check[]; ratios: Array<{ connections: number; vsExpress: number; vsRaw: number; vsRawNormal: number }> } {
  const checks: Check[] = [];
  const ratios = CONNECTIONS.map((connections) => {
    const f = find(points, "faultline", connections)?.reqPerSec ?? Number.NaN;
    const e = find(points, "express", connections)?.reqPerSec ?? Number.NaN;
    const r = find(points, "raw", connections)?.reqPerSec ?? Number.NaN;
    const n = find(points, "raw-normal", connections)?.reqPerSec ?? Number.NaN;
    return { connections, vsExpress: f / e, vsRaw: f / r, vsRawNormal: f / n };
  });
  const at64 = ratios.find((r) => r.connections === TARGET_CONNECTIONS);
  const vsExpress = at64?.vsExpress ?? Number.NaN;
  const vsRaw = at64?.vsRaw ?? Number.NaN;
  const vsRawNormal = at64?.vsRawNormal ?? Number.NaN;
  checks.push({
    name: `faultline ≥ ${MIN_RATIO_EXPRESS.toFixed(1)}× express at ${TARGET_CONNECTIONS} connections`,
    ok: vsExpress >= MIN_RATIO_EXPRESS,
    detail: `${fmt(vsExpress, 2)}×`,
  });
  checks.push({
    name: `faultline ≥ ${MIN_RATIO_RAW.toFixed(1)}× raw at ${TARGET_CONNECTIONS} connections`,
    ok: vsRaw >= MIN_RATIO_RAW,
    detail: `${fmt(vsRaw, 2)}×`,
  });
  checks.push({
    name: `faultline ≥ ${MIN_RATIO_RAW.toFixed(1)}× raw-normal (synchronous=NORMAL) at ${TARGET_CONNECTIONS} connections`,
    ok: vsRawNormal >= MIN_RATIO_RAW,
    detail: `${fmt(vsRawNormal, 2)}×`,
  });
  for (const p of points.filter((x) => x.target === "faultline")) {
    checks.push({
      name: `faultline p99 ≤ ${MAX_P99_MS} ms at ${p.connections} connections`,
      ok: p.p99Ms <= MAX_P99_MS,
      detail: `${fmt(p.p99Ms, 2)} ms`,
    });
  }
  return { checks: [...checks, ...soundnessChecks(points, rowChecks)], ratios };
}

/** Every run's checks: no failed requests, clean shutdowns, stored rows == 2xx answers. */
function soundnessChecks(points: PointResult[], rowChecks: RowCheck[]): Check[] {
  const checks: Check[] = [];
  for (const p of points) {
    // A run with failed requests measured something else than ingest; its figures cannot be trusted.
    checks.push({
      name: `${p.target} at ${p.connections} connections: no non-2xx, no errors`,
      ok: p.non2xx === 0 && p.errors === 0,
      detail: `${p.non2xx} non-2xx, ${p.errors} errors (${p.timeouts} timeouts)`,
    });
  }
  for (const r of rowChecks) {
    checks.push({ name: `${r.target}: clean shutdown on SIGTERM`, ok: r.exit === "code 0", detail: `exited with ${r.exit}` });
    const extra = r.storedUnanswered ? ` + ${r.storedUnanswered} committed while in flight when autocannon stopped (never answered)` : "";
    checks.push({
      name: `${r.target}: stored rows == 2xx answers`,
      ok: r.ok,
      detail: r.ok
        ? `${r.rawEvents} rows (raw_events = failures) = ${r.answered2xx} 2xx${extra}`
        : `${r.rawEvents} raw_events / ${r.failures} failures rows, ${r.answered2xx} 2xx: ${r.problems.join("; ")}`,
    });
  }
  return checks;
}

interface EngineRatio {
  connections: number;
  /** postgres / sqlite, each. */
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
}

/** PostgreSQL's figures over SQLite's at each number of connections (latency ratios > 1: slower). */
function engineRatios(points: PointResult[]): EngineRatio[] {
  return CONNECTIONS.map((connections) => {
    const pg = find(points, "postgres", connections);
    const lite = find(points, "sqlite", connections);
    const ratio = (of: (p: PointResult) => number) => (pg && lite ? of(pg) / of(lite) : Number.NaN);
    return { connections, reqPerSec: ratio((p) => p.reqPerSec), p50: ratio((p) => p.p50Ms), p95: ratio((p) => p.p95Ms), p99: ratio((p) => p.p99Ms) };
  });
}

// ---------------------------------------------------------------------------------------------
// --engine postgres

/** Faultline's ingest on SQLite, then on PostgreSQL with `instances` servers: the same server code on both. */
function engineTargets(instances: number): TargetDef[] {
  return [
    { name: "sqlite", nodeArgs: [PRODUCTION_SERVER], engine: "sqlite" },
    { name: "postgres", nodeArgs: [PRODUCTION_SERVER], engine: "postgres", instances },
  ];
}

/** The run's PostgreSQL: a throwaway cluster with durable commits, migrated once before any server starts. */
async function startBenchCluster(): Promise<{ version: string; settings: Record<string, string>; migrateMs: number }> {
  const settings = { fsync: "on", synchronous_commit: "on", full_page_writes: "on", ...BENCH_PG_SETTINGS };
  cluster = await startPgCluster({ durable: true, settings: BENCH_PG_SETTINGS });
  const started = Date.now();
  await migratePostgres(cluster.url);
  const migrateMs = Date.now() - started;
  const client = await connectPg(cluster.url);
  try {
    const version = (await client.query<{ v: string }>("SELECT version() AS v")).rows[0]!.v.split(" on ")[0]!;
    console.log(`\n${version} on 127.0.0.1:${cluster.port} (fsync on), migrated in ${migrateMs} ms`);
    return { version, settings, migrateMs };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!fs.existsSync("scripts/build.mjs") || !fs.existsSync("db/migrations")) {
    throw new Error("run from the repository root: npm run bench:ingest");
  }

  const targets = options.engine === "postgres" ? engineTargets(options.instances) : TARGETS;
  if (targets.some((t) => t.nodeArgs.includes(PRODUCTION_SERVER))) {
    console.log("Making sure the production build is current (node scripts/build.mjs --if-stale)…");
    const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { stdio: "inherit", timeout: BUILD_TIMEOUT_MS });
    if (build.status !== 0) throw new Error(`build failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})`);
  }

  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const payloadBytes = Buffer.byteLength(bodyFor(0));
  console.log(
    `\n${options.seconds} s per point at ${CONNECTIONS.join(", ")} connections, ${payloadBytes}-byte deployment.failure bodies, ` +
      `each a new event_id; ${os.cpus().length} CPUs, load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`,
  );
  if (os.cpus().length <= 2 || (loadBefore[0] ?? 0) > 0.5) {
    console.log("Note: few cores and/or other load on this machine — the load generator shares the CPU with each target; figures may be noisy.");
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-bench-"));
  tempDir = dir;
  const points: PointResult[] = [];
  const rowChecks: RowCheck[] = [];
  let postgres: { version: string; settings: Record<string, string>; migrateMs: number } | undefined;
  try {
    if (options.engine === "postgres") postgres = await startBenchCluster();
    // One target at a time: concurrent targets would compete for the same two cores and disk.
    for (const def of targets) {
      const { points: p, rows } = await benchTarget(def, dir, options);
      points.push(...p);
      rowChecks.push(rows);
    }
  } finally {
    removeTempDir();
    stopCluster();
  }

  const againstBaselines = options.engine === "sqlite" ? judge(points, rowChecks) : undefined;
  const checks = againstBaselines?.checks ?? soundnessChecks(points, rowChecks);
  const ratios = againstBaselines?.ratios ?? engineRatios(points);
  const loadAfter = os.loadavg();

  console.log("\nResults (req/s = 2xx answers per second; events/s = events stored per second, one per request; latency of 2xx answers)\n");
  console.log(
    table([
      ["target", "connections", "req/s", "events/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "errors"],
      ...points.map((p) => [
        p.target === "postgres" && options.instances > 1 ? `postgres ×${options.instances}` : p.target,
        String(p.connections),
        fmt(p.reqPerSec, 0),
        fmt(p.eventsPerSec, 0),
        fmt(p.p50Ms, 2),
        fmt(p.p95Ms, 2),
        fmt(p.p99Ms, 2),
        String(p.non2xx),
        String(p.errors),
      ]),
    ]),
  );
  if (options.engine === "postgres") {
    console.log(`\nPostgreSQL (${options.instances} instance${options.instances > 1 ? "s" : ""}) / SQLite, same run (req/s: > 1 is faster; latency: > 1 is slower)\n`);
    console.log(
      table([
        ["connections", "req/s", "p50", "p95", "p99"],
        ...engineRatios(points).map((r) => [String(r.connections), `${fmt(r.reqPerSec, 2)}×`, `${fmt(r.p50, 2)}×`, `${fmt(r.p95, 2)}×`, `${fmt(r.p99, 2)}×`]),
      ]),
    );
    if (postgres) console.log(`\n${postgres.version}; ${Object.entries(postgres.settings).map(([k, v]) => `${k}=${v}`).join(", ")}; migrated in ${postgres.migrateMs} ms`);
  } else if (againstBaselines) {
    console.log("\nRatios (req/s)\n");
    console.log(
      table([
        ["connections", "faultline/express", "faultline/raw", "faultline/raw-normal"],
        ...againstBaselines.ratios.map((r) => [String(r.connections), `${fmt(r.vsExpress, 2)}×`, `${fmt(r.vsRaw, 2)}×`, `${fmt(r.vsRawNormal, 2)}×`]),
      ]),
    );
  }
  console.log("\nStored rows vs 2xx answers (warm-up included)\n");
  console.log(
    table([
      ["target", "raw_events", "failures", "2xx", "in flight at stop, stored", "ok"],
      ...rowChecks.map((r) => [r.target, String(r.rawEvents), String(r.failures), String(r.answered2xx), String(r.storedUnanswered), r.ok ? "yes" : "NO"]),
    ]),
  );
  for (const r of rowChecks) {
    if (r.conflicts) console.log(`${r.target}: ${r.conflicts.rollbacks} transactions rolled back, ${r.conflicts.deadlocks} deadlocks detected (pg_stat_database, migration included)`);
  }
  console.log("\nChecks\n");
  for (const c of checks) console.log(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => !c.ok);

  const resultsDir = path.join(process.cwd(), "bench-results");
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `ingest-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    payloadBytes,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    targets: options.engine === "postgres" ? undefined : { express: MIN_RATIO_EXPRESS, raw: MIN_RATIO_RAW, p99Ms: MAX_P99_MS, atConnections: TARGET_CONNECTIONS },
    postgres,
    points,
    ratios,
    rows: rowChecks,
    checks,
    ok: failed.length === 0,
  };
  // JSON has no NaN; a missing figure is written as null.
  fs.writeFileSync(file, `${JSON.stringify(report, (_key, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 2)}\n`);
  console.log(`\nWrote ${path.relative(process.cwd(), file)}`);
  if (options.quick) console.log("(--quick: short points; use the default duration for figures worth quoting)");
  if (options.profileDir) console.log(`CPU profiles in ${path.relative(process.cwd(), options.profileDir)} (open in Chrome DevTools → Performance)`);

  if (failed.length) {
    console.error(`\n${failed.length} check(s) failed:\n${failed.map((c) => `  - ${c.name}: ${c.detail}`).join("\n")}`);
    return 1;
  }
  console.log("\nAll checks passed.");
  return 0;
}

process.once("exit", cleanUpNow);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping children`);
    void Promise.all([...liveChildren].map((c) => stopChild(c))).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
