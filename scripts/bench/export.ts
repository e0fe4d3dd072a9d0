// npm run bench:export [-- --rows 1000000] [--db <file>]
//
// CSV export benchmark (issue 6): seeds a database (scripts/seed-demo.ts; reused when --db already
// holds enough rows, the same file bench:queries uses), starts the production server on it and
// exports every failure with curl through GET /api/failures/export, measuring seconds, rows/s and
// the server's RSS growth (VmRSS sampled every 25 ms). In the same run, `sqlite3 -csv` dumps the
// same rows and columns — the floor. While exporting, a webhook is posted every 25 ms and its
// latency compared with an idle baseline. Then a slow download (curl --limit-rate) is killed
// mid-way: the webhook must still answer fast and a second export must be complete.
// Targets: export ≤ 3× the sqlite3 floor, RSS growth ≤ 100 MB.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { benchDatabase, benchToken, databaseOptions, ensureSeeded, freePort, HOST, percentile, runBench, startServer, writeResults } from "./harness";

const SECRET = "bench-export-secret-0123456789";
const RATIO_TARGET = 3;
const RSS_TARGET_MB = 100;

const { values } = parseArgs({ options: databaseOptions(1_000_000) });
const { rows, dbFile } = benchDatabase(values);





/**
 * Open connections of the server to the database: one WAL file descriptor each. (Not the main
 * file's: SQLite keeps a closed connection's main-file descriptor for reuse while another
 * connection of the process holds locks on it.)
 */
const dbConnections = (pid: number) =>
  fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `${dbFile}-wal`;
    } catch {
      return false;
    }
  }).length;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

/** Runs a shell pipeline, returning its stdout and wall time. */
function timed(command: string): Promise<{ seconds: number; stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ seconds: (performance.now() - started) / 1000, stdout: stdout.trim(), code }));
  });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Posts one failure to the webhook and returns its latency in ms (a 200 is required). */
async function postWebhook(port: number, n: number): Promise<number> {
  const started = performance.now();
  const init = {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ event_type: "deployment.failure", event_id: `bench-export-${process.pid}-${Date.now()}-${n}`, timestamp: new Date().toISOString(), failure_reason: "FAILURE_BY_RATE_LIMIT", line: "+573001110001", hsm: { name: "bench" }, user: { country_code: "57", cellphone: "3001234567" } }),
  };
  const target = `http://${HOST}:${port}/api/webhooks/treble?token=${SECRET}`;
  // The server closes keep-alive sockets idle for 5 s: a request racing that close is retried once.
  const response = await fetch(target, init).catch(() => fetch(target, init));
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  return performance.now() - started;
}

/** Webhook latencies while `during` runs, one post every 25 ms. */
async function webhookLoad<T>(port: number, during: Promise<T>): Promise<{ result: T; latencies: number[] }> {
  const latencies: number[] = [];
  let done = false;
  const load = (async () => {
    for (let n = 0; !done; n++) {
      latencies.push(await postWebhook(port, n));
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  // Settled either way before anything is thrown, so no rejection goes unhandled.
  const [result, loaded] = await Promise.allSettled([during.finally(() => (done = true)), load]);
  if (result.status === "rejected") throw result.reason;
  if (loaded.status === "rejected") throw loaded.reason;
  return { result: result.value, latencies };
}

async function main(): Promise<string[]> {
  ensureSeeded(dbFile, rows);
  const hasSqlite3 = spawnSync("sqlite3", ["-version"]).status === 0;
  const token = benchToken(dbFile, { email: "bench-export@faultline.local", role: "operator", tokenName: "bench:export" });
  const db = new Database(dbFile, { readonly: true });
  const span = db.prepare("SELECT min(occurred_at) AS lo, max(occurred_at) AS hi, count(*) AS n FROM failures").get() as { lo: number; hi: number; n: number };
  db.close();
  // A window holding every row (the seeded history is 90 days; presets would move with the clock).
  const from = new Date(span.lo).toISOString();
  const to = new Date(span.hi + 1).toISOString();
  const port = await freePort();
  const server = await startServer(port, dbFile, SECRET);
  const pid = server.pid!;
  const url = `http://${HOST}:${port}/api/failures/export?from=${from}&to=${to}`;
  const curl = (extra = "") => `curl -sS --fail ${extra} -H ${quote(`Authorization: Bearer ${token}`)} ${quote(url)}`;
  const problems: string[] = [];
  try {
    // Warm up (code paths, page cache) with a small export, then the idle webhook baseline.
    await timed(`${curl()} | head -c 1000000 > /dev/null`);
    const idle: number[] = [];
    for (let n = 0; n < 100; n++) idle.push(await postWebhook(port, n));

    // The floor first: both then read a warm page cache.
    let floor: { seconds: number; rows: number } | null = null;
    if (hasSqlite3) {
      const sql = `SELECT r.dedupe_key, f.occurred_at, r.received_at, f.reason, f.line, f.template, f.poll_id, f.deployment_id, f.batch_id,
        f.country_code, f.cellphone, f.phone_e164, f.incident_id, i.status FROM failures f JOIN incidents i ON i.id = f.incident_id JOIN raw_events r ON r.id = f.raw_event_id
        WHERE f.occurred_at >= ${span.lo} AND f.occurred_at < ${span.hi + 1} ORDER BY f.occurred_at DESC, f.id DESC`;
      const dumped = await timed(`sqlite3 -readonly -csv -header ${quote(dbFile)} ${quote(sql)} | wc -l`);
      floor = { seconds: dumped.seconds, rows: Number(dumped.stdout) - 1 };
    }

    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 25);
    const { result: exported, latencies: duringExport } = await webhookLoad(port, timed(`${curl()} | wc -l`));
    clearInterval(sampler);
    const exportedRows = Number(exported.stdout) - 1;
    if (exported.code !== 0) problems.push(`curl export failed (${exported.code})`);
    if (exportedRows !== span.n) problems.push(`exported ${exportedRows} rows, the database holds ${span.n}`);

    // A slow download, then killed: its connection must be released and nothing blocked.
    const connectionsIdle = dbConnections(pid);
    const slow = spawn("sh", ["-c", `exec ${curl("--limit-rate 200k -o /dev/null")}`], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 1500));
    const connectionsSlow = dbConnections(pid);
    const duringSlow: number[] = [];
    for (let n = 0; n < 40; n++) duringSlow.push(await postWebhook(port, n));
    slow.kill("SIGTERM");
    await new Promise((r) => slow.once("close", r));
    await new Promise((r) => setTimeout(r, 500));
    const afterAbort: number[] = [];
    for (let n = 0; n < 40; n++) afterAbort.push(await postWebhook(port, n));
    const rssAfterAbort = rssMb(pid);
    const connectionsAfterAbort = dbConnections(pid);
    if (connectionsAfterAbort !== connectionsIdle) problems.push(`${connectionsAfterAbort} database connections open after the abort, ${connectionsIdle} before`);
    const second = await timed(`${curl()} | wc -l`);
    const secondRows = Number(second.stdout) - 1;
    if (secondRows !== span.n) problems.push(`the export after an aborted one held ${secondRows} rows, not ${span.n}`);

    const rssGrowth = rssPeak - rssBefore;
    const ratio = floor ? exported.seconds / floor.seconds : null;
    console.log(`\nExport benchmark on ${span.n.toLocaleString("en-US")} failures (production server, curl, ${from} → ${to})\n`);
    console.log(`export        ${exported.seconds.toFixed(2)} s  ${Math.round(exportedRows / exported.seconds).toLocaleString("en-US")} rows/s  (${exportedRows.toLocaleString("en-US")} rows)`);
    if (floor) console.log(`sqlite3 -csv  ${floor.seconds.toFixed(2)} s  ${Math.round(floor.rows / floor.seconds).toLocaleString("en-US")} rows/s  (${floor.rows.toLocaleString("en-US")} rows) — the floor`);
    else console.log("sqlite3 -csv  not run: the sqlite3 CLI is not installed (apt-get install -y sqlite3)");
    console.log(`ratio         ${ratio === null ? "n/a" : `${ratio.toFixed(2)}× the floor`} (target ≤ ${RATIO_TARGET}×)`);
    console.log(`server RSS    ${rssBefore.toFixed(0)} MB before, peak ${rssPeak.toFixed(0)} MB: growth ${rssGrowth.toFixed(1)} MB (target ≤ ${RSS_TARGET_MB} MB); ${rssAfterAbort.toFixed(0)} MB after the aborted download`);
    const line = (label: string, s: number[]) => console.log(`${label.padEnd(34)} p50 ${percentile(s, 50).toFixed(1)} ms  p99 ${percentile(s, 99).toFixed(1)} ms  max ${Math.max(...s).toFixed(1)} ms  (${s.length} posts)`);
    line("webhook idle", idle);
    line("webhook during the export", duringExport);
    line("webhook during a slow download", duringSlow);
    line("webhook after aborting it", afterAbort);
    console.log(`database connections: ${connectionsIdle} idle, ${connectionsSlow} during the slow download, ${connectionsAfterAbort} after killing it`);
    console.log(`second export after the abort: ${secondRows.toLocaleString("en-US")} rows in ${second.seconds.toFixed(2)} s`);

    if (ratio !== null && ratio > RATIO_TARGET) problems.push(`export ${ratio.toFixed(2)}× the sqlite3 floor > ${RATIO_TARGET}×`);
    if (rssGrowth > RSS_TARGET_MB) problems.push(`RSS growth ${rssGrowth.toFixed(1)} MB > ${RSS_TARGET_MB} MB`);
    if (!floor) problems.push("sqlite3 CLI missing: no floor measured (apt-get install -y sqlite3)");
    writeResults("export", { rows: span.n, exportSeconds: exported.seconds, floorSeconds: floor?.seconds ?? null, ratio, rssBefore, rssPeak, rssGrowth, rssAfterAbort, connections: { idle: connectionsIdle, slow: connectionsSlow, afterAbort: connectionsAfterAbort }, webhook: { idle, duringExport, duringSlow, afterAbort }, secondExportRows: secondRows });
  } finally {
    server.kill("SIGTERM");
  }
  return problems;
}

runBench(main);
