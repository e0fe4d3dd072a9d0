// npm run bench:queries [-- --rows 1000000 | --rows 10000000] [--db <file>] [--reps 40]
//
// Dashboard query benchmark (issue 4, "Performance"): seeds a database with realistic skewed
// history (scripts/seed-demo.ts; reused when --db already holds enough rows), starts the
// production server on it, and measures p50/p95 of GET /api/stats and GET /api/failures (first
// page and a deep page) for 24h, 7d and 90d windows. In the same run it computes the same
// answers with plain GROUP BY / OFFSET queries over the raw failures table — the baseline — and
// checks that both agree. Targets (judged at 10M rows): /api/stats p95 ≤ 50 ms for every window,
// /api/failures p95 ≤ 30 ms at any depth.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { benchToken, ensureSeeded, freePort, HOST, startServer } from "./harness";

const WINDOWS = { "24h": 86_400_000, "7d": 7 * 86_400_000, "90d": 90 * 86_400_000 } as const;
type WindowName = keyof typeof WINDOWS;
const STATS_P95_TARGET_MS = 50;
const FAILURES_P95_TARGET_MS = 30;
const TARGET_ROWS = 10_000_000;

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    db: { type: "string" },
    reps: { type: "string", default: "40" },
    "baseline-reps": { type: "string", default: "5" },
  },
});
const rows = Number(values.rows);
const reps = Number(values.reps);
const baselineReps = Number(values["baseline-reps"]);
if (!Number.isInteger(rows) || rows < 10_000 || rows > 20_000_000) throw new Error("--rows must be 10000…20000000");
if (!Number.isInteger(reps) || reps < 5 || reps > 1000) throw new Error("--reps must be 5…1000");
const dbFile = path.resolve(values.db ?? `bench-results/queries-${rows}.db`);

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}



let authorization = "";



async function timeRequests(url: string, count: number): Promise<{ p50: number; p95: number; body: unknown }> {
  let body: unknown;
  const samples: number[] = [];
  for (let i = 0; i < count + 3; i++) {
    const started = performance.now();
    // The server closes keep-alive sockets idle for 5 s (the baseline runs in between): a request
    // racing that close is retried once, and only warm-up requests can meet it.
    const init = { headers: { Authorization: authorization } };
    const response = await fetch(url, init).catch(() => fetch(url, init));
    body = await response.json();
    if (!response.ok) throw new Error(`${url} → ${response.status} ${JSON.stringify(body)}`);
    if (i >= 3) samples.push(performance.now() - started); // the first three warm caches
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), body };
}

function timeLocal<T>(count: number, fn: () => T): { p50: number; p95: number; value: T } {
  let value = fn();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    value = fn();
    samples.push(performance.now() - started);
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), value };
}

interface Row {
  what: string;
  window: WindowName;
  p50: number;
  p95: number;
  baselineP50: number;
  baselineP95: number;
  target?: number;
}

async function main(): Promise<number> {
  ensureSeeded(dbFile, rows);
  authorization = `Bearer ${benchToken(dbFile, { email: "bench@faultline.local", role: "viewer", tokenName: "bench:queries" })}`;
  const port = await freePort();
  const server = await startServer(port, dbFile, "bench-queries-secret-0123456789");
  const raw = new Database(dbFile, { readonly: true });
  const results: Row[] = [];
  const problems: string[] = [];
  try {
    const now = Date.now();
    for (const [name, span] of Object.entries(WINDOWS) as Array<[WindowName, number]>) {
      // Pin the window so the API and the baseline count the same rows.
      const from = now - span;
      const window = `from=${new Date(from).toISOString()}&to=${new Date(now).toISOString()}&tz=America%2FBogota`;
      const stats = await timeRequests(`http://${HOST}:${port}/api/stats?${window}`, reps);
      const baselineStats = timeLocal(baselineReps, () => ({
        total: (raw.prepare("SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?").get(from, now) as { n: number }).n,
        byReason: raw.prepare("SELECT reason, count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY reason").all(from, now),
        byLine: raw.prepare("SELECT line, count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY line").all(from, now),
        byTemplate: raw.prepare("SELECT template, count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY template").all(from, now),
        contacts: raw.prepare("SELECT count(DISTINCT coalesce(phone_e164, cellphone)) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?").get(from, now),
        timeline: raw.prepare("SELECT occurred_at / 3600000 AS h, reason, count(*) FROM failures WHERE occurred_at >= ? AND occurred_at < ? GROUP BY 1, 2").all(from, now),
      }));
      const apiTotal = (stats.body as { total: number }).total;
      if (apiTotal !== baselineStats.value.total) problems.push(`${name}: /api/stats total ${apiTotal} ≠ raw count ${baselineStats.value.total}`);
      results.push({ what: "/api/stats", window: name, ...pick(stats), baselineP50: baselineStats.p50, baselineP95: baselineStats.p95, target: STATS_P95_TARGET_MS });

      const first = await timeRequests(`http://${HOST}:${port}/api/failures?${window}&limit=50`, reps);
      // The same answer: the page and the filter's total.
      const countWindow = raw.prepare("SELECT count(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?");
      const baselineFirst = timeLocal(baselineReps, () => [
        raw.prepare("SELECT * FROM failures WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at DESC, id DESC LIMIT 50").all(from, now),
        countWindow.get(from, now),
      ]);
      results.push({ what: "/api/failures first page", window: name, ...pick(first), baselineP50: baselineFirst.p50, baselineP95: baselineFirst.p95, target: FAILURES_P95_TARGET_MS });

      // A page in the middle of the window: the cursor of the row at half the total.
      const depth = Math.floor(baselineStats.value.total / 2);
      const anchor = raw
        .prepare("SELECT occurred_at, id FROM failures WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at DESC, id DESC LIMIT 1 OFFSET ?")
        .get(from, now, depth) as { occurred_at: number; id: number } | undefined;
      if (anchor) {
        const cursor = Buffer.from(JSON.stringify([anchor.occurred_at, anchor.id])).toString("base64url");
        const deep = await timeRequests(`http://${HOST}:${port}/api/failures?${window}&limit=50&cursor=${cursor}`, reps);
        const baselineDeep = timeLocal(baselineReps, () => [
          raw.prepare("SELECT * FROM failures WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at DESC, id DESC LIMIT 50 OFFSET ?").all(from, now, depth),
          countWindow.get(from, now),
        ]);
        results.push({ what: `/api/failures page at row ${depth.toLocaleString("en-US")}`, window: name, ...pick(deep), baselineP50: baselineDeep.p50, baselineP95: baselineDeep.p95, target: FAILURES_P95_TARGET_MS });
      }
    }
  } finally {
    raw.close();
    server.kill("SIGTERM");
  }

  const total = new Database(dbFile, { readonly: true });
  const stored = (total.prepare("SELECT count(*) AS n FROM failures").get() as { n: number }).n;
  total.close();
  console.log(`\nQuery benchmark on ${stored.toLocaleString("en-US")} failures (${reps} requests per point; baseline = plain SQL over the raw table, ${baselineReps} runs, in-process, no HTTP)\n`);
  console.log(["what".padEnd(38), "window", "p50 ms", "p95 ms", "baseline p50", "baseline p95", "speed-up (p50)", "target p95"].join(" | "));
  for (const r of results) {
    console.log(
      [r.what.padEnd(38), r.window.padEnd(6), r.p50.toFixed(1).padStart(6), r.p95.toFixed(1).padStart(6), r.baselineP50.toFixed(1).padStart(12), r.baselineP95.toFixed(1).padStart(12), `${(r.baselineP50 / r.p50).toFixed(1)}×`.padStart(14), r.target ? `≤ ${r.target}` : ""].join(" | "),
    );
    if (stored >= TARGET_ROWS && r.target && r.p95 > r.target) problems.push(`${r.what} ${r.window}: p95 ${r.p95.toFixed(1)} ms > ${r.target} ms`);
  }
  const out = path.join("bench-results", `queries-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(out, JSON.stringify({ rows: stored, reps, results }, null, 2));
  console.log(`\nResults written to ${out}`);
  if (stored < TARGET_ROWS) console.log(`(Targets are judged at ${TARGET_ROWS.toLocaleString("en-US")} rows: run with --rows ${TARGET_ROWS}.)`);
  for (const p of problems) console.error(`FAIL: ${p}`);
  return problems.length ? 1 : 0;
}

function pick(t: { p50: number; p95: number }) {
  return { p50: t.p50, p95: t.p95 };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
