// npm run bench:queries [-- --rows 1000000 | --rows 10000000] [--db <file>] [--reps 20] [--baseline-reps 3|0]
//   [--baseline-max-window 24h|7d|90d] [--only q=] [--engine sqlite|postgres]
//
// --engine postgres: the same dataset and matrix through the read path on PostgreSQL, beside SQLite
// (scripts/bench/queries-postgres.ts; the baseline options do not apply there).
//
// Dashboard query benchmark (issues 4 and 11, "Every filter fast"): seeds a database with
// realistic skewed history (scripts/seed-demo.ts; reused when --db already holds enough rows),
// starts the production server on it, and measures p50/p95 of GET /api/stats, /api/facets,
// /api/failures (first page and a page at half the window's depth) and /api/incidents for every
// filter of the matrix (none, reason, class, line, template, line + template, status, phone
// search, half-hour and 45-minute zones) over 24h, 7d and 90d. Each cell is also answered by
// plain SQL over the raw failures table — the baseline — and both answers must be equal
// (totals, breakdowns, every timeline bucket, page ids, incident tab counts). Prints bytes per
// failure (page_count × page_size ÷ failures) and the ten largest tables and indexes (dbstat). Targets (judged at 10M rows): p95 ≤ 100 ms per
// cell, ≤ 50 ms unfiltered.
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { DO_NOT_CONTACT_REASONS, RETRY_REASONS } from "@/lib/reasons";
import { plainSqlWhere, type Dropped } from "@/lib/testing/failure-dataset";
import { benchPostgresReads } from "./queries-postgres";
import { cellQuery, FILTERED_P95_TARGET_MS, matrixFilters, TARGET_ROWS, UNFILTERED_P95_TARGET_MS, WINDOWS, type MatrixFilter, type WindowName } from "./queries-matrix";
import { benchDatabase, benchToken, databaseOptions, ensureSeeded, freePort, HOST, percentile, runBench, startServer, writeResults } from "./harness";

const PAGE = 50;

const { values } = parseArgs({
  options: {
    ...databaseOptions(1_000_000),
    reps: { type: "string", default: "20" },
    "baseline-reps": { type: "string", default: "3" },
    /**
     * The longest window whose cells also run the plain-SQL baseline (and compare answers): at 10M
     * rows a 90-day baseline takes minutes per cell, so a 10M run may check 24h and 7d only, its
     * 90-day equality being checked at 1M.
     */
    "baseline-max-window": { type: "string", default: "90d" },
    /** Only the filters whose name starts with this (e.g. `q=` or `tz=`): re-measure a few rows. */
    only: { type: "string" },
    /** sqlite (the production server over HTTP), or postgres: the read path on PostgreSQL beside SQLite (queries-postgres.ts). */
    engine: { type: "string", default: "sqlite" },
  },
});
const { rows, dbFile } = benchDatabase(values);
const reps = Number(values.reps);
const baselineReps = Number(values["baseline-reps"]);
if (!Number.isInteger(reps) || reps < 5 || reps > 1000) throw new Error("--reps must be 5…1000");
if (!Number.isInteger(baselineReps) || baselineReps < 0 || baselineReps > 100) throw new Error("--baseline-reps must be 0…100");
const windowNames = Object.keys(WINDOWS) as WindowName[];
const maxBaselineWindow = windowNames.indexOf(values["baseline-max-window"] as WindowName);
if (maxBaselineWindow < 0) throw new Error(`--baseline-max-window must be one of ${windowNames.join(", ")}`);
const baselineWindows = windowNames.slice(0, maxBaselineWindow + 1);



let authorization = "";
/** The contact lists are operators' (CSV export): their counts are asked with an operator's token. */
let operatorAuthorization = "";



/** The server stopped the read at QUERY_TIMEOUT_MS (503 query_timeout): the cell is reported as such. */
class QueryTimeout extends Error {}

async function timeRequests(url: string, count: number, auth = authorization): Promise<{ p50: number; p95: number; body: unknown }> {
  let body: unknown;
  const samples: number[] = [];
  for (let i = 0; i < count + 3; i++) {
    const started = performance.now();
    // The server closes keep-alive sockets idle for 5 s (the baseline runs in between): a request
    // racing that close is retried once, and only warm-up requests can meet it.
    const init = { headers: { Authorization: auth } };
    const response = await fetch(url, init).catch(() => fetch(url, init));
    body = await response.json();
    if (response.status === 503 && (body as { error?: { code?: string } }).error?.code === "query_timeout") throw new QueryTimeout(url);
    if (!response.ok) throw new Error(`${url} → ${response.status} ${JSON.stringify(body)}`);
    if (i >= 3) samples.push(performance.now() - started); // the first three warm caches
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), body };
}

/**
 * The plain-SQL baseline: one run for its answer, then `count` timed runs. With `count` 0 (at 10M
 * rows each 90-day baseline takes seconds) that one cold run is the timing.
 */
function timeLocal<T>(count: number, fn: () => T): { p50: number; p95: number; value: T } {
  const first = performance.now();
  let value = fn();
  const samples: number[] = count === 0 ? [performance.now() - first] : [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    value = fn();
    samples.push(performance.now() - started);
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), value };
}

interface Row {
  what: string;
  filter: string;
  window: WindowName;
  p50: number;
  p95: number;
  baselineP50: number;
  baselineP95: number;
  target: number;
  timedOut?: boolean;
}

type Counts = Record<string, number>;
const sortedEntries = (c: Counts) => Object.entries(c).filter(([, n]) => n).sort(([a], [b]) => a.localeCompare(b));
const sameCounts = (a: Counts, b: Counts) => JSON.stringify(sortedEntries(a)) === JSON.stringify(sortedEntries(b));

/** Plain SQL over the raw failures (joined to incidents for the status): the baseline's WHERE. */
function plainWhere(f: MatrixFilter, from: number, to: number, drop?: Dropped): { sql: string; params: unknown[] } {
  const phone = f.phone ? { sql: "(instr(coalesce(f.phone_e164, ''), ?) > 0 OR instr(coalesce(f.cellphone, ''), ?) > 0)", params: [f.phone, f.phone] } : undefined;
  return plainSqlWhere({ ...f, also: phone }, from, to, drop);
}


interface StatsBody {
  total: number;
  contacts: number | null;
  contactsApproximate: boolean;
  byReason: Array<{ reason: string; count: number }>;
  byLine: Array<{ line: string | null; count: number }>;
  byTemplate: Array<{ template: string | null; count: number }>;
  timeline: Array<{ bucket: string; counts: Counts }>;
}

const toCounts = <T>(rows: T[], key: (r: T) => string | null, n: (r: T) => number): Counts => Object.fromEntries(rows.map((r) => [key(r) ?? "", n(r)]));

/** The stats answer in plain SQL; timeline minutes are placed into the API's bucket starts. */
function plainStats(raw: Database.Database, f: MatrixFilter, from: number, to: number, starts: number[]) {
  const w = plainWhere(f, from, to);
  const group = (col: string): Counts => toCounts(raw.prepare(`SELECT ${col} AS k, count(*) AS n ${w.sql} GROUP BY 1`).all(...w.params) as Array<{ k: string; n: number }>, (r) => r.k, (r) => r.n);
  const contacts = (raw.prepare(`SELECT count(DISTINCT coalesce(f.phone_e164, f.cellphone)) AS n ${w.sql}`).get(...w.params) as { n: number }).n;
  const timeline = starts.map(() => ({}) as Counts);
  for (const { m, reason, n } of raw.prepare(`SELECT f.occurred_at / 60000 * 60000 AS m, f.reason AS reason, count(*) AS n ${w.sql} GROUP BY 1, 2`).all(...w.params) as Array<{ m: number; reason: string; n: number }>) {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= m) lo = mid;
      else hi = mid - 1;
    }
    timeline[lo]![reason] = (timeline[lo]![reason] ?? 0) + n;
  }
  const byReason = group("f.reason");
  return { total: Object.values(byReason).reduce((a, b) => a + b, 0), byReason, byLine: group("f.line"), byTemplate: group("f.template"), contacts, timeline };
}

interface StorageReport {
  failures: number;
  /** page_count × page_size. */
  bytes: number;
  /** Pages on the freelist (space a migration or purge freed; reused before the file grows). */
  freeBytes: number;
  /** Tables and indexes by the bytes of their pages (dbstat), largest first. */
  byName: Array<{ name: string; bytes: number }>;
}

/** Where the database's bytes go: in all, per failure, and per table or index (SQLite's dbstat). */
function storageReport(file: string): StorageReport {
  const db = new Database(file, { readonly: true });
  try {
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    return {
      failures: (db.prepare("SELECT count(*) AS n FROM failures").get() as { n: number }).n,
      bytes: (db.pragma("page_count", { simple: true }) as number) * pageSize,
      freeBytes: (db.pragma("freelist_count", { simple: true }) as number) * pageSize,
      byName: db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC").all() as StorageReport["byName"],
    };
  } finally {
    db.close();
  }
}

function printStorage(r: StorageReport): void {
  const perFailure = (bytes: number) => (bytes / r.failures).toFixed(1);
  const free = r.freeBytes
    ? `; ${(r.freeBytes / 1e6).toFixed(0)} MB of it free pages (VACUUM returns them): ${perFailure(r.bytes - r.freeBytes)} bytes per failure in use`
    : "";
  console.log(`Database: ${(r.bytes / 1e6).toFixed(0)} MB = ${perFailure(r.bytes)} bytes per failure (page_count × page_size ÷ failures)${free}`);
  console.log("Largest tables and indexes (dbstat):");
  for (const { name, bytes } of r.byName.slice(0, 10)) console.log(`  ${name.padEnd(40)} ${(bytes / 1e6).toFixed(1).padStart(8)} MB ${perFailure(bytes).padStart(7)} B/failure`);
}

const CONTACT = "coalesce(f.phone_e164, f.cellphone)";
/** Reason codes as an SQL list. */
const sqlList = (codes: readonly string[]) => codes.map((c) => `'${c}'`).join(", ");

/** The retry or suppression list's length in plain SQL (README, "CSV export"). */
function plainListCount(raw: Database.Database, list: "retry" | "suppress", f: MatrixFilter, from: number, to: number): number {
  const w = plainWhere(f, from, to);
  const dnc = sqlList(DO_NOT_CONTACT_REASONS);
  const sql =
    list === "suppress"
      ? `SELECT count(DISTINCT ${CONTACT}) ${w.sql} AND f.reason IN (${dnc})`
      : `SELECT count(*) FROM (SELECT f.reason, ${CONTACT} AS contact, row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS n
           ${w.sql} AND ${CONTACT} IS NOT NULL)
         WHERE n = 1 AND reason IN (${sqlList(RETRY_REASONS)})
           AND contact NOT IN (SELECT ${CONTACT} FROM failures f WHERE f.reason IN (${dnc}) AND ${CONTACT} IS NOT NULL)`;
  return raw.prepare(sql).pluck().get(...w.params) as number;
}

async function main(): Promise<string[]> {
  ensureSeeded(dbFile, rows);
  authorization = `Bearer ${benchToken(dbFile, { email: "bench@faultline.local", role: "viewer", tokenName: "bench:queries" })}`;
  operatorAuthorization = `Bearer ${benchToken(dbFile, { email: "bench-operator@faultline.local", role: "operator", tokenName: "bench:queries" })}`;
  const port = await freePort();
  const server = await startServer(port, dbFile, "bench-queries-secret-0123456789");
  const raw = new Database(dbFile, { readonly: true });
  const results: Row[] = [];
  const problems: string[] = [];
  const base = `http://${HOST}:${port}`;
  try {
    const now = Date.now();
    const filters = matrixFilters(raw, now - WINDOWS["90d"], now).filter((f) => !values.only || f.name.startsWith(values.only));
    for (const f of filters) {
      for (const [name, span] of Object.entries(WINDOWS) as Array<[WindowName, number]>) {
        // Pin the window so the API and the baseline count the same rows.
        const from = now - span;
        const query = cellQuery(f, from, now);
        const target = f.name === "none" ? UNFILTERED_P95_TARGET_MS : FILTERED_P95_TARGET_MS;
        // Plain SQL (timed, and its answer compared) up to --baseline-max-window; beyond it the cell has API timings only.
        const baseline = <T>(fn: () => T) => (baselineWindows.includes(name) ? timeLocal(baselineReps, fn) : null);
        const cell = (what: string, api: { p50: number; p95: number }, plain: { p50: number; p95: number } | null) =>
          results.push({ what, filter: f.name, window: name, p50: api.p50, p95: api.p95, baselineP50: plain?.p50 ?? Number.NaN, baselineP95: plain?.p95 ?? Number.NaN, target });
        const differs = (what: string, detail: string) => problems.push(`${f.name} ${name} ${what}: ${detail}`);
        // A cell the server stopped at its deadline is reported and the matrix goes on.
        const measure = async (what: string, run: () => Promise<void>) => {
          try {
            await run();
          } catch (err) {
            if (!(err instanceof QueryTimeout)) throw err;
            results.push({ what, filter: f.name, window: name, p50: Number.NaN, p95: Number.NaN, baselineP50: Number.NaN, baselineP95: Number.NaN, target, timedOut: true });
            problems.push(`${f.name} ${name} ${what}: 503 query_timeout`);
          }
        };

        await measure("/api/stats", async () => {
        const stats = await timeRequests(`${base}/api/stats?${query}`, reps);
        const body = stats.body as StatsBody;
        const starts = body.timeline.map((p) => Date.parse(p.bucket));
        const plain = baseline(() => plainStats(raw, f, from, now, starts));
        const want = plain?.value;
        if (want) {
        if (body.total !== want.total) differs("/api/stats", `total ${body.total} ≠ ${want.total}`);
        if (!sameCounts(toCounts(body.byReason, (r) => r.reason, (r) => r.count), want.byReason)) differs("/api/stats", "byReason differs");
        if (!sameCounts(toCounts(body.byLine, (r) => r.line, (r) => r.count), want.byLine)) differs("/api/stats", "byLine differs");
        if (!sameCounts(toCounts(body.byTemplate, (r) => r.template, (r) => r.count), want.byTemplate)) differs("/api/stats", "byTemplate differs");
        if (!body.contactsApproximate && body.contacts !== null && body.contacts !== want.contacts) differs("/api/stats", `contacts ${body.contacts} ≠ ${want.contacts}`);
        body.timeline.forEach((p, i) => {
          if (!sameCounts(p.counts, want.timeline[i]!)) differs("/api/stats", `timeline bucket ${p.bucket} differs`);
        });
        }
        cell("/api/stats", stats, plain);
        });

        for (const list of ["retry", "suppress"] as const) {
          await measure(`${list} list count`, async () => {
            // As the overview's label asks: quick (null rather than a long count, lib/export/contacts.ts).
            const counted = await timeRequests(`${base}/api/contacts/export?list=${list}&count=1&quick=1&${query}`, reps, operatorAuthorization);
            const plain = baseline(() => plainListCount(raw, list, f, from, now));
            const rows = (counted.body as { rows: number | null }).rows;
            if (rows === null) console.log(`  ${list} list count: not counted (quick)`);
            else if (plain && rows !== plain.value) differs(`${list} list count`, `${rows} ≠ ${plain.value}`);
            cell(`${list} list count`, counted, plain);
          });
        }

        await measure("/api/facets", async () => {
        const facets = await timeRequests(`${base}/api/facets?${query}`, reps);
        const plainFacets = baseline(() => {
          const group = (col: string, drop: Parameters<typeof plainWhere>[3]): Counts => {
            const w = plainWhere(f, from, now, drop);
            return toCounts(raw.prepare(`SELECT ${col} AS k, count(*) AS n ${w.sql} GROUP BY 1`).all(...w.params) as Array<{ k: string; n: number }>, (r) => r.k, (r) => r.n);
          };
          return { lines: group("f.line", { line: true }), templates: group("f.template", { template: true }), reasons: group("f.reason", { reason: true }) };
        });
        const fb = facets.body as { lines: Array<{ line: string | null; count: number }>; templates: Array<{ template: string | null; count: number }>; reasons: Array<{ reason: string; count: number }> };
        if (plainFacets) {
          if (!sameCounts(toCounts(fb.lines, (r) => r.line, (r) => r.count), plainFacets.value.lines)) differs("/api/facets", "lines differ");
          if (!sameCounts(toCounts(fb.templates, (r) => r.template, (r) => r.count), plainFacets.value.templates)) differs("/api/facets", "templates differ");
          if (!sameCounts(toCounts(fb.reasons, (r) => r.reason, (r) => r.count), plainFacets.value.reasons)) differs("/api/facets", "reasons differ");
        }
        cell("/api/facets", facets, plainFacets);
        });

        await measure("/api/failures", async () => {
        const w = plainWhere(f, from, now);
        const pageIds = (offset: number) => raw.prepare(`SELECT f.id, f.occurred_at ${w.sql} ORDER BY f.occurred_at DESC, f.id DESC LIMIT ? OFFSET ?`).all(...w.params, PAGE, offset) as Array<{ id: number; occurred_at: number }>;
        const countAll = () => (raw.prepare(`SELECT count(*) AS n ${w.sql}`).get(...w.params) as { n: number }).n;
        const first = await timeRequests(`${base}/api/failures?${query}&limit=${PAGE}`, reps);
        const plainFirst = baseline(() => ({ ids: pageIds(0).map((r) => r.id), total: countAll() }));
        const firstBody = first.body as { items: Array<{ id: number }>; total: number };
        if (plainFirst && firstBody.total !== plainFirst.value.total) differs("/api/failures", `total ${firstBody.total} ≠ ${plainFirst.value.total}`);
        if (plainFirst && JSON.stringify(firstBody.items.map((r) => r.id)) !== JSON.stringify(plainFirst.value.ids)) differs("/api/failures", "first page differs");
        cell("/api/failures first page", first, plainFirst);

        // A page in the middle of the window: after the cursor of the row at half the total (the
        // API's total when the baseline is skipped: the deep page's cost is the same either way).
        const depth = Math.floor((plainFirst?.value.total ?? firstBody.total) / 2);
        const anchor = pageIds(depth)[0];
        if (anchor && depth > 0) {
          const cursor = Buffer.from(JSON.stringify([anchor.occurred_at, anchor.id])).toString("base64url");
          const deep = await timeRequests(`${base}/api/failures?${query}&limit=${PAGE}&cursor=${cursor}`, reps);
          const plainDeep = baseline(() => ({ ids: pageIds(depth + 1).map((r) => r.id), total: countAll() }));
          if (plainDeep && JSON.stringify((deep.body as { items: Array<{ id: number }> }).items.map((r) => r.id)) !== JSON.stringify(plainDeep.value.ids)) differs("/api/failures", `page at row ${depth} differs`);
          cell("/api/failures deep page", deep, plainDeep);
        }
        });

        await measure("/api/incidents", async () => {
        const incidents = await timeRequests(`${base}/api/incidents?${query}`, reps);
        const plainIncidents = baseline(() => {
          const byStatus = raw.prepare(`SELECT i.status AS k, count(DISTINCT i.id) AS n ${plainWhere({ ...f, statuses: undefined }, from, now).sql} GROUP BY 1`).all(...plainWhere({ ...f, statuses: undefined }, from, now).params) as Array<{ k: string; n: number }>;
          return toCounts(byStatus, (r) => r.k, (r) => r.n);
        });
        const ib = incidents.body as { total: number; counts: Counts };
        const tabs = Object.fromEntries(Object.entries(ib.counts).filter(([k]) => k !== "assignedToMe"));
        if (plainIncidents) {
          if (!sameCounts(tabs, plainIncidents.value)) differs("/api/incidents", `tab counts ${JSON.stringify(tabs)} ≠ ${JSON.stringify(plainIncidents.value)}`);
          const wantTotal = (f.statuses ?? ["open"]).reduce((sum, s) => sum + (plainIncidents.value[s] ?? 0), 0);
          if (ib.total !== wantTotal) differs("/api/incidents", `total ${ib.total} ≠ ${wantTotal}`);
        }
        cell("/api/incidents", incidents, plainIncidents);
        });
        process.stderr.write(".");
      }
    }
  } finally {
    raw.close();
    server.kill("SIGTERM");
  }

  const storage = storageReport(dbFile);
  const stored = storage.failures;
  console.log(`\n\nQuery benchmark on ${stored.toLocaleString("en-US")} failures (${reps} requests per cell; baseline = plain SQL over the raw table, ${baselineReps} runs, in-process, no HTTP; every answer checked equal)\n`);
  console.log(["what".padEnd(26), "filter".padEnd(18), "window", "p50 ms", "p95 ms", "baseline p50", "baseline p95", "speed-up (p50)", "target p95"].join(" | "));
  for (const r of results) {
    if (r.timedOut) {
      console.log([r.what.padEnd(26), r.filter.padEnd(18), r.window.padEnd(6), "503 query_timeout (stopped at QUERY_TIMEOUT_MS)"].join(" | "));
      continue;
    }
    console.log(
      [
        r.what.padEnd(26),
        r.filter.padEnd(18),
        r.window.padEnd(6),
        r.p50.toFixed(1).padStart(6),
        r.p95.toFixed(1).padStart(6),
        (Number.isNaN(r.baselineP50) ? "—" : r.baselineP50.toFixed(1)).padStart(12),
        (Number.isNaN(r.baselineP95) ? "—" : r.baselineP95.toFixed(1)).padStart(12),
        (Number.isNaN(r.baselineP50) ? "—" : `${(r.baselineP50 / r.p50).toFixed(1)}×`).padStart(14),
        `≤ ${r.target}`,
      ].join(" | "),
    );
    if (stored >= TARGET_ROWS && r.p95 > r.target) problems.push(`${r.what} ${r.filter} ${r.window}: p95 ${r.p95.toFixed(1)} ms > ${r.target} ms`);
  }
  const over = results.filter((r) => r.timedOut || r.p95 > r.target);
  console.log(`\n${results.length - over.length} of ${results.length} cells within their p95 target${over.length ? ` (over: ${over.map((r) => `${r.what} ${r.filter} ${r.window} ${r.timedOut ? "timeout" : `${r.p95.toFixed(0)} ms`}`).join("; ")})` : ""}`);
  printStorage(storage);
  writeResults("queries", { rows: stored, reps, bytesPerFailure: storage.bytes / stored, storage, results });
  if (stored < TARGET_ROWS) console.log(`(Targets are judged at ${TARGET_ROWS.toLocaleString("en-US")} rows: run with --rows ${TARGET_ROWS}.)`);
  return problems;
}

if (values.engine === "postgres") runBench(() => benchPostgresReads({ rows, dbFile, reps, only: values.only }));
else if (values.engine === "sqlite") runBench(main);
else throw new Error("--engine must be sqlite or postgres");
