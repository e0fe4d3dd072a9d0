import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { createChannel } from "@/lib/alerts/channels";
import { createRule } from "@/lib/alerts/rules";
import { acknowledgeIncident } from "@/lib/incidents/acknowledge";
import { commentOnIncident } from "@/lib/incidents/comment";
import { resolveIncident } from "@/lib/incidents/resolve";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { ensureWebhookSecret } from "@/lib/ingest/webhook-secret";
import { setLineLabel } from "@/lib/lines/labels";
import { createTestUser } from "@/lib/testing/auth";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS, startPgCluster, type PgCluster } from "@/lib/testing/pg-cluster";
import { setupTempDatabase, TEST_SIGNING_SECRET } from "@/lib/testing/temp-db";
import { copySqliteToPostgres, type CopyReport } from "./copy";
import { PgEngine } from "./pg/engine";
import { migratePostgres } from "./pg/migrate";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: undefined, WEBHOOK_SIGNING_SECRET: TEST_SIGNING_SECRET });
let cluster: PgCluster;

// `node --import tsx` rather than the tsx CLI: the CLI runs the script in a grandchild process, which
// a SIGKILL of the CLI would leave running.
const NODE_TSX = [process.execPath, "--import", "tsx"] as const;
const SCRIPT = path.join(process.cwd(), "scripts", "db-copy.ts");
const REASONS = ["FAILURE_BY_TIER_CAPACITY", "INVALID_PHONE", "MISSING_PARAMETER"];
const LINES = ["+573001112233", "+525511110004"];

/** A SQLite install with a bit of everything, written by the real ingest code and verbs. */
async function fillSqlite(): Promise<void> {
  const handle = getDb();
  await ensureWebhookSecret();
  const admin = await createTestUser("admin");
  await createTestUser("viewer");
  const by = { actor: { id: admin.user.id, email: admin.user.email }, ip: "10.0.0.1" };
  const channel = await createChannel({ type: "webhook", name: "Ops hook", url: "http://127.0.0.1:9/hook" }, by);
  await createRule({ name: "Opened", trigger: "incident_opened", channelIds: [channel.id] }, by);
  const events = Array.from({ length: 120 }, (_, i) => {
    const event = failureEvent({
      failure_reason: REASONS[i % REASONS.length],
      line: LINES[i % LINES.length],
      timestamp: new Date(Date.UTC(2026, 10, 20 + (i % 5), i % 24, i % 60)).toISOString(),
      user: { country_code: "57", cellphone: `30512${String(i).padStart(5, "0")}` },
    });
    return prepareEvent(event, JSON.stringify(event), Date.now());
  });
  storeEvents(handle, events);
  // A quarantined event (no reason), stored like any other.
  const bad = failureEvent({ failure_reason: undefined });
  storeEvents(handle, [prepareEvent(bad, JSON.stringify(bad), Date.now())]);
  const incidents = handle.sqlite.prepare("SELECT id FROM incidents ORDER BY id").pluck().all() as number[];
  await acknowledgeIncident(incidents[0], { note: "looking" }, by);
  await resolveIncident(incidents[1], { note: "fixed" }, by);
  await commentOnIncident(incidents[2], { text: "a comment" }, by);
  await setLineLabel(LINES[0], { label: "Ventas CO" }, by);
}

const count = (sql: string) => (getDb().sqlite.prepare(sql).get() as { n: number }).n;

beforeAll(async () => {
  cluster = await startPgCluster();
  await fillSqlite();
}, CLUSTER_START_TIMEOUT_MS);

afterAll(() => {
  cluster?.stop();
  tempDb.cleanup();
});

const copy = (to: string, batchRows?: number) => copySqliteToPostgres({ from: tempDb.file, to, batchRows });

/** Every row of every copied table, read back from both sides by primary key, compared column by column. */
async function expectSameRows(url: string, report: CopyReport): Promise<void> {
  const target = PgEngine.open(url, 1);
  try {
    for (const { table } of report.tables) {
      const key = (await target.query<{ column_name: string }>(
        `SELECT a.attname AS column_name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY a.attnum`,
        [table],
      )).map((r) => r.column_name);
      const order = key.map((k) => `"${k}"`).join(", ");
      const theirs = await target.query<Record<string, unknown>>(`SELECT * FROM "${table}" ORDER BY ${order}`);
      const ours = getDb().sqlite.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).all() as Array<Record<string, unknown>>;
      // SQLite's subsecond default leaves a fraction in settings.updated_at; PostgreSQL keeps whole milliseconds.
      const whole = (rows: Array<Record<string, unknown>>) =>
        rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" && !Number.isInteger(v) && k.endsWith("_at") ? Math.round(v) : v])));
      expect({ table, rows: whole(theirs) }).toEqual({ table, rows: whole(ours) });
    }
  } finally {
    await target.close();
  }
}

describe("npm run db:copy", () => {
  it("copies every table of a SQLite install, row for row, and a second run copies nothing", async () => {
    const url = cluster.createDatabase("copied");
    const report = await copy(url, 7);
    expect(report.mismatched).toEqual([]);
    const byTable = Object.fromEntries(report.tables.map((t) => [t.table, t]));
    // What an install holds, all present in the copy.
    for (const table of ["raw_events", "failures", "incidents", "incident_activity", "incident_contacts", "users", "accounts", "api_tokens", "audit_log", "settings", "alert_channels", "alert_rules", "line_labels", "rollup_hour_reason", "rollup_day", "contact_sketch_hour", "contact_phones"]) {
      expect(byTable[table]?.sourceRows, table).toBeGreaterThan(0);
      expect(byTable[table], table).toMatchObject({ copied: byTable[table]!.sourceRows, targetRows: byTable[table]!.sourceRows });
    }
    expect(byTable.raw_events!.sourceRows).toBe(count("SELECT count(*) AS n FROM raw_events"));
    expect(byTable.raw_events!.sourceRows).toBe(121);
    await expectSameRows(url, report);

    const again = await copy(url, 7);
    expect(again.mismatched).toEqual([]);
    expect(again.tables.filter((t) => t.read > 0 || t.copied > 0)).toEqual([]);

    // New rows get the ids after the copied ones.
    const target = PgEngine.open(url, 1);
    const channel = await target.one<{ id: number }>("INSERT INTO alert_channels (name, type, created_at, updated_at) VALUES ('n', 'email', 0, 0) RETURNING id");
    expect(channel!.id).toBe(count("SELECT max(id) AS n FROM alert_channels") + 1);
    await target.close();
  });

  it("finishes after being killed midway (kill -9), with equal counts", { timeout: 60_000 }, async () => {
    const url = cluster.createDatabase("killed");
    const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), SCRIPT, "--from", tempDb.file, "--to", url, "--batch", "3"], { cwd: process.cwd(), env: process.env, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    let batches = 0;
    for await (const line of readline.createInterface({ input: child.stdout })) {
      if (/^\s+\d+ rows$/.test(line) && ++batches === 40) {
        child.kill("SIGKILL");
        break;
      }
    }
    expect(await exited).toBe("SIGKILL");

    const resumed = await copy(url, 3);
    expect(resumed.mismatched).toEqual([]);
    // The killed run had committed some rows and not all; the second run copied only the rest.
    const copiedAfterKill = resumed.tables.reduce((n, t) => n + t.copied, 0);
    const all = resumed.tables.reduce((n, t) => n + t.sourceRows, 0);
    expect(copiedAfterKill).toBeGreaterThan(0);
    expect(copiedAfterKill).toBeLessThan(all);
    // It continued after the last committed key: no row was read again.
    for (const t of resumed.tables) expect({ table: t.table, read: t.read }).toEqual({ table: t.table, read: t.copied });
    await expectSameRows(url, resumed);
  });

  it("picks up rows added to SQLite after a finished copy, even below the key it reached", async () => {
    const url = cluster.createDatabase("late_rows");
    await copy(url);
    const admin = (getDb().sqlite.prepare("SELECT id, email FROM users WHERE role = 'admin'").get() as { id: string; email: string });
    // "+1…" sorts before the line labelled earlier ("+57…").
    await setLineLabel("+14155550100", { label: "US" }, { actor: admin, ip: null });
    const report = await copy(url);
    expect(report.mismatched).toEqual([]);
    expect(report.tables.find((t) => t.table === "line_labels")).toMatchObject({ copied: 1, sourceRows: 2, targetRows: 2 });
    await setLineLabel("+14155550100", { label: null }, { actor: admin, ip: null });
  });

  it("refuses to start when the two schemas differ (different Faultline versions)", async () => {
    const url = cluster.createDatabase("other_version");
    await migratePostgres(url);
    const target = PgEngine.open(url, 1);
    await target.exec("ALTER TABLE line_labels ADD COLUMN color text");
    await target.close();
    await expect(copy(url)).rejects.toThrow(/does not match this SQLite database \(column line_labels\.color is missing in SQLite\)/);
  });

  it("exits non-zero with the tables whose counts differ", async () => {
    const url = cluster.createDatabase("mismatch");
    await copy(url);
    const target = PgEngine.open(url, 1);
    await target.exec("INSERT INTO line_labels (line, label, updated_at) VALUES ('+999', 'only in PostgreSQL', 0)");
    await target.close();
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), SCRIPT, "--from", tempDb.file, "--to", url], { cwd: process.cwd(), env: process.env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("exit", (code) => resolve({ code, stderr }));
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Row counts differ after the copy: line_labels \(SQLite 1, PostgreSQL 2\)/);
  }, 60_000);
});
