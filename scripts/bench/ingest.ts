// npm run bench:ingest [-- --quick | --duration <seconds>]
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
import { decodeDedupeKey } from "@/lib/ingest/compact-values";

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

type TargetName = "faultline" | "express" | "raw" | "raw-normal";

interface TargetDef {
  name: TargetName;
  /** Arguments to `node`: spawning node directly makes the child's PID the server's own. */
  nodeArgs: string[];
  /** Extra environment for the target. */
  env?: Record<string, string>;
}

const TARGETS: readonly TargetDef[] = [
  { name: "faultline", nodeArgs: ["dist/server.mjs"] },
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
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      quick: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
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
        `              (profiling slows the targets: figures of such a run are not comparable)`,
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
  return { seconds, warmupSeconds: quick ? QUICK_WARMUP_SECONDS : WARMUP_SECONDS, quick, profileDir };
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

/** Temp folder holding the three databases; removed however the run ends. */
let tempDir: string | undefined;

function removeTempDir(): void {
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
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
}

/** A port the OS says is free right now (the server binds it a moment later; a clash fails loudly). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
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

function childEnv(port: number, databasePath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    HOST,
    PORT: String(port),
    DATABASE_PATH: databasePath,
    WEBHOOK_SECRET,
  };
  // A signing secret in the caller's environment would make Faultline demand signatures (401s).
  delete env.WEBHOOK_SIGNING_SECRET;
  delete env.PUBLIC_URL;
  return env;
}

// ---------------------------------------------------------------------------------------------
// Load

interface PointResult {
  target: TargetName;
  connections: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
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
async function drive(target: TargetName, url: string, ledger: Ledger, connections: number, seconds: number): Promise<PointResult> {
  let latencies = new Float64Array(1 << 16);
  let latencyCount = 0;
  const instance = autocannon({
    url,
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
    p50Ms: percentile(sorted, 0.5),
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
  ok: boolean;
  problems: string[];
}

function checkRows(target: TargetName, databasePath: string, ledger: Ledger, counted2xx: number, exit: string): RowCheck {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const rawEvents = count("raw_events");
    const failures = count("failures");
    let storedAnswered2xx = 0;
    let storedAnsweredNon2xx = 0;
    let storedUnanswered = 0;
    let storedForeign = 0;
    // Every bench event has an event_id, which is then its dedupe key (Faultline stores it compact, the baselines as text).
    for (const stored of db.prepare("SELECT dedupe_key FROM raw_events").pluck().iterate() as IterableIterator<string | Buffer>) {
      const key = typeof stored === "string" ? stored : decodeDedupeKey(stored);
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
      ok: problems.length === 0,
      problems,
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// One target, start to finish

async function benchTarget(def: TargetDef, dir: string, options: Options): Promise<{ points: PointResult[]; rows: RowCheck }> {
  const databasePath = path.join(dir, `${def.name}.db`);
  const port = await freePort();
  console.log(`\n▶ ${def.name}: node ${def.nodeArgs.join(" ")} on ${HOST}:${port}, database ${databasePath}`);
  // node writes the profile when the process exits, which the graceful SIGTERM path does.
  const profileArgs = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${def.name}.cpuprofile`] : [];
  const child = startChild(def.name, [...profileArgs, ...def.nodeArgs], { ...childEnv(port, databasePath), ...def.env });
  try {
    await waitUntilReady(child, port);
    console.log(`  ready (pid ${child.pid}); warm-up ${options.warmupSeconds} s at ${WARMUP_CONNECTIONS} connections`);
    const url = `http://${HOST}:${port}${WEBHOOK_PATH}?token=${encodeURIComponent(WEBHOOK_SECRET)}`;
    const ledger = new Ledger();
    let counted2xx = 0;
    const warmup = await drive(def.name, url, ledger, WARMUP_CONNECTIONS, options.warmupSeconds);
    counted2xx += warmup.ok2xx;
    const points: PointResult[] = [];
    for (const connections of CONNECTIONS) {
      await sleep(SETTLE_MS);
      if (child.hasExited) throw new Error(`${def.name} exited during the run:\n${child.log.join("\n")}`);
      const point = await drive(def.name, url, ledger, connections, options.seconds);
      counted2xx += point.ok2xx;
      points.push(point);
      console.log(
        `  ${String(connections).padStart(2)} connections: ${point.reqPerSec.toFixed(0)} req/s, p50 ${point.p50Ms.toFixed(2)} ms, p99 ${point.p99Ms.toFixed(2)} ms`,
      );
    }
    await sleep(SETTLE_MS);
    // Stop first: the graceful shutdown finishes every in-flight request before the rows are counted.
    await stopChild(child);
    const exit = await Promise.race([child.exited, sleep(STOP_TIMEOUT_MS).then(() => ({ code: null, signal: null }))]);
    const exitText = exit.signal ?? `code ${exit.code ?? "unknown"}`;
    if (exit.code !== 0) console.error(`  ${def.name} exited with ${exitText}:\n${child.log.join("\n")}`);
    return { points, rows: checkRows(def.name, databasePath, ledger, counted2xx, exitText) };
  } finally {
    await stopChild(child);
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
  return { checks, ratios };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!fs.existsSync("scripts/build.mjs") || !fs.existsSync("db/migrations")) {
    throw new Error("run from the repository root: npm run bench:ingest");
  }

  console.log("Making sure the production build is current (node scripts/build.mjs --if-stale)…");
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { stdio: "inherit", timeout: BUILD_TIMEOUT_MS });
  if (build.status !== 0) throw new Error(`build failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})`);

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
  try {
    // One target at a time: concurrent targets would compete for the same two cores and disk.
    for (const def of TARGETS) {
      const { points: p, rows } = await benchTarget(def, dir, options);
      points.push(...p);
      rowChecks.push(rows);
    }
  } finally {
    removeTempDir();
  }

  const { checks, ratios } = judge(points, rowChecks);
  const loadAfter = os.loadavg();

  console.log("\nResults (req/s = 2xx answers per second; latency of 2xx answers)\n");
  console.log(
    table([
      ["target", "connections", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"],
      ...points.map((p) => [p.target, String(p.connections), fmt(p.reqPerSec, 0), fmt(p.p50Ms, 2), fmt(p.p99Ms, 2), String(p.non2xx), String(p.errors)]),
    ]),
  );
  console.log("\nRatios (req/s)\n");
  console.log(
    table([
      ["connections", "faultline/express", "faultline/raw", "faultline/raw-normal"],
      ...ratios.map((r) => [String(r.connections), `${fmt(r.vsExpress, 2)}×`, `${fmt(r.vsRaw, 2)}×`, `${fmt(r.vsRawNormal, 2)}×`]),
    ]),
  );
  console.log("\nStored rows vs 2xx answers (warm-up included)\n");
  console.log(
    table([
      ["target", "raw_events", "failures", "2xx", "in flight at stop, stored", "ok"],
      ...rowChecks.map((r) => [r.target, String(r.rawEvents), String(r.failures), String(r.answered2xx), String(r.storedUnanswered), r.ok ? "yes" : "NO"]),
    ]),
  );
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
    targets: { express: MIN_RATIO_EXPRESS, raw: MIN_RATIO_RAW, p99Ms: MAX_P99_MS, atConnections: TARGET_CONNECTIONS },
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
