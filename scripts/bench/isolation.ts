// npm run bench:isolation [-- --rows 500000] [--db <file>] [--seconds 20] [--clients 4]
//
// Isolation benchmark (issue 11, "looking never blinds listening"): seeds a database (reused when
// --db already holds enough rows, the same files bench:queries and bench:export use), starts the
// production server on it and posts a webhook every 20 ms (on a fixed schedule, whatever the
// answers take): first idle, then while --clients clients (each its own operator) loop over the
// heavy reads below, a full CSV export among them (from a process of their own, so that reading
// the exports does not delay this process's webhooks). Prints webhook p50/p99/max idle and under
// load, their ratio, errors and timeouts, this process's own event-loop delay meanwhile, and what
// the heavy reads answered (200, 503 query_timeout…).
// Targets (judged at 10M rows): webhook p99 under load ≤ 50 ms and ≤ 3× idle, 0 errors, 0 timeouts.
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { benchDatabase, benchToken, databaseOptions, drainBody, ensureSeeded, freePort, HOST, percentile, runBench, startServer, writeResults } from "./harness";
import type { LoadPlan, LoadTally } from "./isolation-load";

const SECRET = "bench-isolation-secret-0123456789";
const WEBHOOK_EVERY_MS = 20;
/** Treble's patience: a webhook not answered within this is a timeout. */
const WEBHOOK_TIMEOUT_MS = 5_000;
const P99_TARGET_MS = 50;
const RATIO_TARGET = 3;

const { values } = parseArgs({
  options: {
    ...databaseOptions(500_000),
    seconds: { type: "string", default: "20" },
    clients: { type: "string", default: "4" },
  },
});
const { rows, dbFile } = benchDatabase(values);
const seconds = Number(values.seconds);
const clients = Number(values.clients);
if (!Number.isFinite(seconds) || seconds < 2 || seconds > 600) throw new Error("--seconds must be 2…600");
if (!Number.isInteger(clients) || clients < 1 || clients > 32) throw new Error("--clients must be 1…32");

interface WebhookRun {
  latencies: number[];
  errors: string[];
  timeouts: number;
  /** This process's own event-loop delay p99 (ms) meanwhile: what of a latency is the sender's. */
  senderLoopDelayP99: number;
}

/** Posts a failure every WEBHOOK_EVERY_MS until `stop` resolves; every answer must be a 200. */
async function webhooks(port: number, stop: Promise<unknown>): Promise<WebhookRun> {
  const run: WebhookRun = { latencies: [], errors: [], timeouts: 0, senderLoopDelayP99: NaN };
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const inFlight: Array<Promise<void>> = [];
  let n = 0;
  const post = async () => {
    const i = n++;
    const started = performance.now();
    try {
      const response = await fetch(`http://${HOST}:${port}/api/webhooks/treble?token=${SECRET}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          event_type: "deployment.failure",
          event_id: `bench-isolation-${process.pid}-${Date.now()}-${i}`,
          timestamp: new Date().toISOString(),
          failure_reason: "FAILURE_BY_RATE_LIMIT",
          line: "+573001110001",
          hsm: { name: "bench" },
          user: { country_code: "57", cellphone: "3001234567" },
        }),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      if (response.status !== 200) run.errors.push(`HTTP ${response.status}`);
      else run.latencies.push(performance.now() - started);
    } catch (err) {
      if ((err as Error).name === "TimeoutError") run.timeouts++;
      else run.errors.push((err as Error).message);
    }
  };
  const timer = setInterval(() => inFlight.push(post()), WEBHOOK_EVERY_MS);
  await stop;
  clearInterval(timer);
  await Promise.all(inFlight);
  loopDelay.disable();
  run.senderLoopDelayP99 = loopDelay.percentile(99) / 1e6;
  return run;
}

/**
 * Runs the heavy-read clients (scripts/bench/isolation-load.ts) in a process of their own until
 * `until` resolves; what they were answered. In this process, reading four full CSV exports would
 * delay the webhooks' own timers and answers and be counted as the server's latency.
 */
async function heavyReadsUntil(plan: LoadPlan, until: Promise<unknown>): Promise<Record<string, LoadTally>> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/bench/isolation-load.ts", JSON.stringify(plan)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await until;
  child.kill("SIGTERM");
  const code = await exited;
  if (code !== 0) throw new Error(`the heavy-read clients exited with ${code}`);
  return JSON.parse(output) as Record<string, LoadTally>;
}

async function main(): Promise<string[]> {
  ensureSeeded(dbFile, rows);
  const db = new Database(dbFile, { readonly: true });
  const total = db.prepare("SELECT count(*) FROM failures").pluck().get() as number;
  const busiest = db.prepare("SELECT line, template FROM failures WHERE line <> '' AND template <> '' GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1").get() as { line: string; template: string };
  db.close();
  const tokens = Array.from({ length: clients }, (_, i) => benchToken(dbFile, { email: `bench-isolation-${i}@faultline.local`, role: "operator", tokenName: "bench:isolation" }));
  const heavyReads = [
    "/api/stats?range=90d&q=3",
    "/api/facets?range=90d&q=3",
    "/api/contacts/export?list=retry&range=90d&count=1",
    "/api/stats?range=90d&tz=Asia/Kolkata",
    `/api/stats?range=90d&line=${encodeURIComponent(busiest.line)}&template=${encodeURIComponent(busiest.template)}`,
    "/api/failures/export?range=90d",
  ];
  const port = await freePort();
  const server = await startServer(port, dbFile, SECRET);
  const problems: string[] = [];
  try {
    const phase = () => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    // Warm up (code paths, page cache) with one round of the reads, then the idle baseline.
    for (const url of heavyReads) await drainBody((await fetch(`http://${HOST}:${port}${url}`, { headers: { Authorization: `Bearer ${tokens[0]}` } })).body);
    const idle = await webhooks(port, phase());

    const loadEnds = phase();
    const [underLoad, tallies] = await Promise.all([webhooks(port, loadEnds), heavyReadsUntil({ base: `http://${HOST}:${port}`, tokens, urls: heavyReads }, loadEnds)]);

    const line = (label: string, run: WebhookRun) =>
      console.log(
        `${label.padEnd(22)} p50 ${percentile(run.latencies, 50).toFixed(1)} ms  p99 ${percentile(run.latencies, 99).toFixed(1)} ms  max ${Math.max(...run.latencies).toFixed(1)} ms  (${run.latencies.length} answered, ${run.errors.length} errors, ${run.timeouts} timeouts; the sender's own event-loop delay p99 ${run.senderLoopDelayP99.toFixed(1)} ms)`,
      );
    console.log(`\nIsolation benchmark on ${total.toLocaleString("en-US")} failures (production server, a webhook every ${WEBHOOK_EVERY_MS} ms, ${seconds} s per phase, ${clients} clients)\n`);
    line("webhook idle", idle);
    line("webhook under load", underLoad);
    const ratio = percentile(underLoad.latencies, 99) / percentile(idle.latencies, 99);
    console.log(`ratio p99 load/idle    ${ratio.toFixed(2)}× (target ≤ ${RATIO_TARGET}× and p99 ≤ ${P99_TARGET_MS} ms, at 10M rows)\n`);
    console.log("heavy reads meanwhile, from a process of their own (answers; mean and max time; still running at the phase's end):");
    for (const [url, t] of Object.entries(tallies)) {
      const answers = Object.entries(t.statuses).map(([s, n]) => `${s}×${n}`).join(" ");
      const mean = t.durationsMs.reduce((a, b) => a + b, 0) / Math.max(1, t.durationsMs.length);
      console.log(`  ${url.padEnd(70)} ${answers.padEnd(18)} mean ${(mean / 1000).toFixed(2)} s  max ${(Math.max(0, ...t.durationsMs) / 1000).toFixed(2)} s  in flight ${t.inFlight}`);
    }
    const errors = [...idle.errors, ...underLoad.errors];
    if (errors.length) problems.push(`${errors.length} webhook errors: ${[...new Set(errors)].slice(0, 5).join("; ")}`);
    if (idle.timeouts + underLoad.timeouts) problems.push(`${idle.timeouts + underLoad.timeouts} webhook timeouts (> ${WEBHOOK_TIMEOUT_MS} ms)`);
    if (rows >= 10_000_000) {
      if (percentile(underLoad.latencies, 99) > P99_TARGET_MS) problems.push(`webhook p99 under load ${percentile(underLoad.latencies, 99).toFixed(1)} ms > ${P99_TARGET_MS} ms`);
      if (ratio > RATIO_TARGET) problems.push(`webhook p99 under load ${ratio.toFixed(2)}× idle > ${RATIO_TARGET}×`);
    }
    writeResults("isolation", {
      rows: total,
      seconds,
      clients,
      webhook: {
        idle: { p50: percentile(idle.latencies, 50), p99: percentile(idle.latencies, 99), max: Math.max(...idle.latencies), answered: idle.latencies.length, errors: idle.errors.length, timeouts: idle.timeouts, senderLoopDelayP99: idle.senderLoopDelayP99 },
        load: { p50: percentile(underLoad.latencies, 50), p99: percentile(underLoad.latencies, 99), max: Math.max(...underLoad.latencies), answered: underLoad.latencies.length, errors: underLoad.errors.length, timeouts: underLoad.timeouts, senderLoopDelayP99: underLoad.senderLoopDelayP99 },
        ratioP99: ratio,
      },
      reads: tallies,
    });
  } finally {
    server.kill("SIGTERM");
  }
  return problems;
}

runBench(main);
