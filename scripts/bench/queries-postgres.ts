// `npm run bench:queries -- --engine postgres [--rows N] [--db <file>] [--reps 20] [--only <filter>]`
//
// The dashboard's reads on PostgreSQL (issue 16: stats p95 ≤ 100 ms at 10M rows). The dataset is
// the SQLite benchmark's (bench-results/queries-N.db, seeded through ingest's own rules by
// scripts/seed-demo.ts), copied into PostgreSQL by `db:copy` (db/copy.ts: every table as stored —
// rollups, sketches, contact state — with the counts of every table compared), then VACUUM ANALYZE.
// The cluster is kept in <tmpdir>/faultline-bench/queries-N.pg/ and reused while the SQLite file it was
// copied from holds the same failures, so a 10M copy is paid once. Every read of lib/read/reads.ts'
// READS that has a cell below is run through the read path (EngineReads: its own pool, one
// repeatable-read snapshot per read, the deadline) for each filter × window of the matrix, and
// the same read on the same data in SQLite (inSqliteSnapshot, in-process, as a read worker runs
// it) beside it; the two answers must be equal. No HTTP on either side.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { copySqliteToPostgres } from "@/db/copy";
import { migratePostgres } from "@/db/pg/migrate";
import { connectPg, openPgPool } from "@/db/pg/connection";
import { inSqliteSnapshot } from "@/db/snapshot";
import { getSettings } from "@/lib/config";
import { parseContactList, parseExportRequest } from "@/lib/export/options";
import { parseFilters } from "@/lib/filters";
import { QueryTimeoutError } from "@/lib/http/errors";
import { parseFailurePage } from "@/lib/queries/failure-page";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { EngineReads } from "@/lib/read/engine-reads";
import { READS, type ReadArgs, type ReadName } from "@/lib/read/reads";
import type { StepsRead } from "@/lib/read/serve";
import { startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { ensureSeeded, percentile, writeResults } from "./harness";
import { BENCH_PG_SETTINGS } from "./pg-settings";
import { cellQuery, matrixFilters, TARGET_ROWS, WINDOWS, type WindowName } from "./queries-matrix";

/** The issue's target on PostgreSQL, for every read of the matrix. */
const P95_TARGET_MS = 100;
/** Rows per INSERT (and commit) of the copy; db/copy.ts caps it at PostgreSQL's 65,535 parameters. */
const COPY_BATCH_ROWS = 20_000;
/** The read path's pool (one read at a time here). */
const READ_CONNECTIONS = 2;
/** Requests per cell that warm caches before the timed ones. */
const WARM_UP = 3;

export interface PostgresQueriesOptions {
  rows: number;
  dbFile: string;
  reps: number;
  /** Only the filters whose name starts with this. */
  only: string | undefined;
}

/** How a cell asks one read: its arguments from the cell's query string, as its route parses them. */
interface ReadCell<N extends ReadName = ReadName> {
  what: string;
  read: N;
  /** Asked once (it takes no filters), not per filter × window. */
  once?: boolean;
  args: (params: URLSearchParams) => ReadArgs<N>;
}
const cell = <N extends ReadName>(c: ReadCell<N>): ReadCell => c as unknown as ReadCell;
const withParams = (params: URLSearchParams, extra: Record<string, string>) => new URLSearchParams([...params, ...Object.entries(extra)]);

/** The reads of the HTTP matrix (queries.ts), by the read each route asks. */
const READ_CELLS: ReadCell[] = [
  cell({ what: "stats", read: "stats", args: (p) => ({ filters: parseFilters(p), options: {} }) }),
  cell({ what: "facets", read: "facets", args: (p) => ({ filters: parseFilters(p) }) }),
  cell({ what: "failures first page", read: "failures", args: (p) => ({ filters: parseFilters(p), page: parseFailurePage(withParams(p, { limit: "50" })) }) }),
  cell({ what: "incidents", read: "incidents", args: (p) => ({ filters: parseFilters(p), page: parseIncidentPage(p), viewerId: null }) }),
  cell({ what: "retry list count", read: "contactExportCount", args: (p) => ({ list: parseContactList(withParams(p, { list: "retry" })), request: parseExportRequest(withParams(p, { count: "1", quick: "1" })) }) }),
  cell({ what: "suppress list count", read: "contactExportCount", args: (p) => ({ list: parseContactList(withParams(p, { list: "suppress" })), request: parseExportRequest(withParams(p, { count: "1", quick: "1" })) }) }),
  cell({ what: "latest failure id", read: "latestFailureId", once: true, args: () => undefined }),
];

const stepsReads = READS as unknown as Record<string, StepsRead>;

interface Timing {
  p50: number;
  p95: number;
}

interface Result {
  what: string;
  filter: string;
  window: WindowName | "—";
  postgres: Timing | "timeout";
  sqlite: Timing;
  /** PostgreSQL's answer equals SQLite's; "order": the same values, some listed in another order. */
  same: "yes" | "order" | "NO";
}

/** `count` timed runs after the warm-up ones; the last answer. */
async function time(count: number, run: () => Promise<unknown> | unknown): Promise<Timing & { answer: unknown }> {
  let answer: unknown;
  const samples: number[] = [];
  for (let i = 0; i < count + WARM_UP; i++) {
    const started = performance.now();
    answer = await run();
    if (i >= WARM_UP) samples.push(performance.now() - started);
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), answer };
}

/**
 * Where the copy of `dbFile` is kept: outside the checkout, because `next build` walked a cluster
 * kept in bench-results/ (18 GB at 10M) until it ran out of memory; in the temporary folder, which
 * the postgres user that runs the cluster can reach (a home folder may not be).
 */
function keptClusterHome(dbFile: string): string {
  return path.join(os.tmpdir(), "faultline-bench", `${path.basename(dbFile).replace(/\.db$/, "")}.pg`);
}

/** What identifies the SQLite dataset a copy came from. */
interface SourceIdentity {
  failures: number;
  maxId: number;
  maxOccurredAt: number;
}

interface CopyRecord {
  source: SourceIdentity;
  copyMs: number;
  vacuumAnalyzeMs: number;
  tables: number;
}

function sourceIdentity(dbFile: string): SourceIdentity {
  const sqlite = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return sqlite.prepare("SELECT count(*) AS failures, coalesce(max(id), 0) AS maxId, coalesce(max(occurred_at), 0) AS maxOccurredAt FROM failures").get() as SourceIdentity;
  } finally {
    sqlite.close();
  }
}

/** What an incident's lifecycle changes without a failure arriving (the copy's identity does not see it). */
const INCIDENT_STATE_COLUMNS = [
  ["status", "text"],
  ["acknowledged_at", "bigint"],
  ["acknowledged_by", "text"],
  ["resolved_at", "bigint"],
  ["resolved_by", "text"],
  ["snooze_until", "bigint"],
  ["updated_at", "bigint"],
] as const;

/**
 * Brings the kept copy's incidents to SQLite's state: a server run on the SQLite file (the HTTP
 * benchmarks') resolves stale incidents, so answers under a status would differ from a copy made
 * before. Returns how many incidents changed.
 */
async function syncIncidentStates(dbFile: string, url: string): Promise<number> {
  const columns = INCIDENT_STATE_COLUMNS.map(([name]) => name);
  const sqlite = new Database(dbFile, { readonly: true, fileMustExist: true });
  let rows: unknown[];
  try {
    rows = sqlite.prepare(`SELECT id, ${columns.join(", ")} FROM incidents`).all();
  } finally {
    sqlite.close();
  }
  const client = await connectPg(url);
  try {
    const result = await client.query(
      `UPDATE incidents i SET ${columns.map((c) => `${c} = s.${c}`).join(", ")}
       FROM json_to_recordset($1::json) AS s(id bigint, ${INCIDENT_STATE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(", ")})
       WHERE i.id = s.id AND (${columns.map((c) => `i.${c}`).join(", ")}) IS DISTINCT FROM (${columns.map((c) => `s.${c}`).join(", ")})`,
      [JSON.stringify(rows)],
    );
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/**
 * The kept cluster holding a copy of `dbFile`: reused when its record names the same dataset,
 * else made anew (initdb, migrate, db:copy with every table's counts compared, VACUUM ANALYZE).
 */
async function postgresCopyOf(dbFile: string): Promise<{ cluster: PgCluster; record: CopyRecord; reused: boolean }> {
  const home = keptClusterHome(dbFile);
  const recordFile = path.join(home, "copied.json");
  const source = sourceIdentity(dbFile);
  const kept = fs.existsSync(recordFile) ? (JSON.parse(fs.readFileSync(recordFile, "utf8")) as CopyRecord) : undefined;
  const reused = kept !== undefined && JSON.stringify(kept.source) === JSON.stringify(source);
  if (!reused) fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  const cluster = await startPgCluster({ dataDir: path.join(home, "data"), durable: true, settings: BENCH_PG_SETTINGS });
  if (reused) {
    console.log(`Reusing the PostgreSQL copy in ${home} (${source.failures.toLocaleString("en-US")} failures)`);
    try {
      // Migrations added since the copy was made (an index, say) apply to it as a deploy would.
      const started = Date.now();
      const { applied } = await migratePostgres(cluster.url);
      if (applied) {
        const client = await connectPg(cluster.url);
        try {
          await client.query("ANALYZE");
        } finally {
          await client.end();
        }
        console.log(`Applied ${applied} newer migration(s) to the copy and analyzed it in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      const synced = await syncIncidentStates(dbFile, cluster.url);
      if (synced) console.log(`Synced the state of ${synced} incident(s) changed in SQLite since the copy`);
    } catch (err) {
      cluster.stop();
      throw err;
    }
    return { cluster, record: kept, reused };
  }
  try {
    console.log(`Copying ${dbFile} into PostgreSQL (${home}) with db:copy …`);
    let started = Date.now();
    let shown = "";
    const report = await copySqliteToPostgres({
      from: dbFile,
      to: cluster.url,
      batchRows: COPY_BATCH_ROWS,
      onBatch: (table) => {
        if (table !== shown) process.stderr.write(`  ${table}\n`);
        shown = table;
      },
    });
    const copyMs = Date.now() - started;
    if (report.mismatched.length) {
      throw new Error(`row counts differ after the copy: ${report.mismatched.map((t) => `${t.table} (SQLite ${t.sourceRows}, PostgreSQL ${t.targetRows})`).join(", ")}`);
    }
    console.log(`Copied ${report.tables.length} tables in ${(copyMs / 1000).toFixed(0)} s, every table's row count equal to SQLite's`);
    started = Date.now();
    const client = await connectPg(cluster.url);
    try {
      // What autovacuum would do after a while: planner statistics and the visibility map (index-only scans).
      await client.query("VACUUM (ANALYZE)");
    } finally {
      await client.end();
    }
    const record: CopyRecord = { source, copyMs, vacuumAnalyzeMs: Date.now() - started, tables: report.tables.length };
    fs.writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
    return { cluster, record, reused };
  } catch (err) {
    cluster.stop();
    throw err;
  }
}

interface PgStorage {
  bytes: number;
  /** Tables and indexes by their own size (no TOAST), largest first. */
  byName: Array<{ name: string; bytes: number }>;
}

async function postgresStorage(url: string): Promise<PgStorage> {
  const client = await connectPg(url);
  try {
    const bytes = (await client.query<{ n: number }>("SELECT pg_database_size(current_database())::bigint AS n")).rows[0]!.n;
    const byName = await client.query<{ name: string; bytes: number }>(
      "SELECT c.relname AS name, pg_relation_size(c.oid)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') ORDER BY 2 DESC LIMIT 10",
    );
    return { bytes, byName: byName.rows };
  } finally {
    await client.end();
  }
}

/** Where two answers first differ (`byLine[2].count: 5 ≠ 6`), or undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, at = ""): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return `${at || "answer"}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const difference = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], Array.isArray(a) ? `${at}[${key}]` : at ? `${at}.${key}` : key);
    if (difference) return difference;
  }
  return undefined;
}

/** `answer` with every array's items in one order (their JSON's): to tell "another order" from "other values". */
function inOneOrder(answer: unknown): unknown {
  if (Array.isArray(answer)) return answer.map(inOneOrder).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (typeof answer !== "object" || answer === null) return answer;
  return Object.fromEntries(Object.entries(answer).map(([key, value]) => [key, inOneOrder(value)]));
}

const ms = (t: Timing | "timeout", key: keyof Timing) => (t === "timeout" ? "timeout" : t[key].toFixed(1));

export async function benchPostgresReads(options: PostgresQueriesOptions): Promise<string[]> {
  const seededMs = ensureSeeded(options.dbFile, options.rows);
  const { cluster, record, reused } = await postgresCopyOf(options.dbFile);
  // The kept cluster runs as a daemon: an interrupted run stops it too (else the next one cannot start it).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cluster.stop();
      process.exit(130);
    });
  }
  const reads = new EngineReads(openPgPool(cluster.url, READ_CONNECTIONS), { size: READ_CONNECTIONS, timeoutMs: getSettings().QUERY_TIMEOUT_MS });
  const sqlite = new Database(options.dbFile, { readonly: true, fileMustExist: true });
  sqlite.pragma("busy_timeout = 5000");
  const problems: string[] = [];
  const orderNotes: string[] = [];
  const results: Result[] = [];
  try {
    const noCell = Object.keys(stepsReads).filter((name) => !READ_CELLS.some((c) => c.read === name));
    const now = Date.now();
    const filters = matrixFilters(sqlite, now - WINDOWS["90d"], now).filter((f) => !options.only || f.name.startsWith(options.only));
    for (const f of filters) {
      for (const [windowName, span] of Object.entries(WINDOWS) as Array<[WindowName, number]>) {
        const params = new URLSearchParams(cellQuery(f, now - span, now));
        const first = f === filters[0] && windowName === "24h";
        for (const c of READ_CELLS.filter((x) => !x.once || first)) {
          const args = c.args(params);
          const lite = await time(options.reps, () => inSqliteSnapshot(sqlite, (dialect) => stepsReads[c.read]!(dialect, args)));
          let postgres: (Timing & { answer: unknown }) | "timeout";
          try {
            postgres = await time(options.reps, () => reads.readByName(c.read, args, { user: "bench" }));
          } catch (err) {
            if (!(err instanceof QueryTimeoutError)) throw err;
            postgres = "timeout";
          }
          const where = c.once ? `${c.what}` : `${c.what} ${f.name} ${windowName}`;
          let same: Result["same"] = "yes";
          if (postgres === "timeout") problems.push(`${where}: cancelled at QUERY_TIMEOUT_MS on PostgreSQL`);
          else {
            const difference = firstDifference(postgres.answer, lite.answer);
            if (difference && firstDifference(inOneOrder(postgres.answer), inOneOrder(lite.answer))) {
              same = "NO";
              problems.push(`${where}: PostgreSQL's answer differs from SQLite's (postgres ≠ sqlite at ${difference})`);
            } else if (difference) {
              // Equal counts listed in another order: each engine returns a GROUP BY's rows in its own order.
              same = "order";
              orderNotes.push(`${where}: the same values in another order (postgres ≠ sqlite at ${difference})`);
            }
          }
          results.push({ what: c.what, filter: c.once ? "—" : f.name, window: c.once ? "—" : windowName, postgres: postgres === "timeout" ? postgres : { p50: postgres.p50, p95: postgres.p95 }, sqlite: { p50: lite.p50, p95: lite.p95 }, same });
        }
        process.stderr.write(".");
      }
    }
    const storage = await postgresStorage(cluster.url);
    const failures = record.source.failures;

    console.log(`\n\nRead path on PostgreSQL vs SQLite, ${failures.toLocaleString("en-US")} failures (${options.reps} reads per cell after ${WARM_UP} warm-up; in-process, no HTTP; answers compared)\n`);
    console.log(["what".padEnd(20), "filter".padEnd(18), "window", "pg p50", "pg p95", "sqlite p50", "sqlite p95", "pg/sqlite p95", "same ", `target pg p95`].join(" | "));
    for (const r of results) {
      const ratio = r.postgres === "timeout" ? "—" : `${(r.postgres.p95 / r.sqlite.p95).toFixed(1)}×`;
      console.log(
        [
          r.what.padEnd(20),
          r.filter.padEnd(18),
          r.window.padEnd(6),
          ms(r.postgres, "p50").padStart(6),
          ms(r.postgres, "p95").padStart(6),
          ms(r.sqlite, "p50").padStart(10),
          ms(r.sqlite, "p95").padStart(10),
          ratio.padStart(13),
          r.same.padEnd(5),
          `≤ ${P95_TARGET_MS}`,
        ].join(" | "),
      );
      if (failures >= TARGET_ROWS && r.postgres !== "timeout" && r.postgres.p95 > P95_TARGET_MS) problems.push(`${r.what} ${r.filter} ${r.window}: p95 ${r.postgres.p95.toFixed(1)} ms > ${P95_TARGET_MS} ms`);
    }
    const over = results.filter((r) => r.postgres === "timeout" || r.postgres.p95 > P95_TARGET_MS);
    console.log(
      `\n${results.length - over.length} of ${results.length} cells within p95 ≤ ${P95_TARGET_MS} ms on PostgreSQL; answers equal to SQLite's: ${results.filter((r) => r.same === "yes").length}, ` +
        `the same values in another order: ${orderNotes.length}, different: ${results.filter((r) => r.same === "NO").length}`,
    );
    for (const note of orderNotes) console.log(`  order: ${note}`);
    if (noCell.length) console.log(`In READS without a cell in this benchmark (add one to READ_CELLS): ${noCell.join(", ")}`);

    const perRowUs = (t: number) => ((t * 1000) / failures).toFixed(0);
    const seeding = {
      sqliteSeedMs: seededMs,
      copyMs: record.copyMs,
      vacuumAnalyzeMs: record.vacuumAnalyzeMs,
    };
    console.log(
      `\nSeeding (${reused ? "copy reused from an earlier run" : "this run"}): ${seededMs === null ? "SQLite file reused" : `SQLite seed ${(seededMs / 1000).toFixed(0)} s (${perRowUs(seededMs)} µs/failure)`}, ` +
        `db:copy ${(record.copyMs / 1000).toFixed(0)} s (${perRowUs(record.copyMs)} µs/failure), VACUUM ANALYZE ${(record.vacuumAnalyzeMs / 1000).toFixed(0)} s (${perRowUs(record.vacuumAnalyzeMs)} µs/failure)`,
    );
    console.log(`PostgreSQL database: ${(storage.bytes / 1e6).toFixed(0)} MB = ${(storage.bytes / failures).toFixed(1)} bytes per failure (pg_database_size ÷ failures). Largest tables and indexes:`);
    for (const { name, bytes } of storage.byName) console.log(`  ${name.padEnd(40)} ${(bytes / 1e6).toFixed(1).padStart(8)} MB ${(bytes / failures).toFixed(1).padStart(7)} B/failure`);
    writeResults("queries-postgres", { rows: failures, reps: options.reps, seeding, settings: BENCH_PG_SETTINGS, storage, results });
    if (failures < TARGET_ROWS) console.log(`(The target is judged at ${TARGET_ROWS.toLocaleString("en-US")} rows: run with --rows ${TARGET_ROWS}.)`);
    return problems;
  } finally {
    sqlite.close();
    await reads.close();
    cluster.stop();
  }
}
