import zlib from "node:zlib";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import type { PgEngine } from "@/db/pg/engine";
import { GET as getContacts } from "@/app/api/contacts/export/route";
import { GET as getFailures } from "@/app/api/failures/export/route";
import { GET as getIncidents } from "@/app/api/incidents/export/route";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { setLineLabel } from "@/lib/lines/labels";
import { DO_NOT_CONTACT_REASONS, RETRY_REASONS } from "@/lib/reasons";
import { HeavyReads, MAX_HEAVY_READS_PER_USER } from "@/lib/read/heavy-reads";
import { closeReadPool, openExportWorker } from "@/lib/read/pool";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DAY, failureDataset } from "@/lib/testing/failure-dataset";
import { failureEvent } from "@/lib/testing/fixtures";
import { holdLock } from "@/lib/testing/hold-lock";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { until } from "@/lib/testing/until";
import { parseExportRequest } from "./options";

// The CSV exports on both engines, through their routes: the same data in each database gives
// the same bytes (rows, order, formatting, local times, line labels, incident statuses, session
// key columns), and the row counts of `count=1` and of plain SQL. On PostgreSQL the export is
// read and formatted by a worker thread on a session of its own, as on SQLite.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(async () => {
  await closeReadPool();
  await databases.cleanup();
});

const NOW = Date.parse("2026-11-25T15:00:00.000Z");
const [L1, L2] = DATASET_LINES;
const WINDOW = { from: new Date(NOW - 250 * DAY).toISOString(), to: new Date(NOW).toISOString() };
const at = (days: number) => new Date(NOW - days * DAY).toISOString();
const contact = (n: number) => ({ country_code: "57", cellphone: `31100000${String(n).padStart(2, "0")}` });

/** Contacts whose latest failure is retryable, carrying user_session_keys (array and object forms). */
const SESSION_KEY_EVENTS = [
  failureEvent({ timestamp: at(3), failure_reason: "FAILURE_BY_RATE_LIMIT", user: contact(1), user_session_keys: [{ key: "customer_id", value: "C-1" }, { key: "segment", value: "vip" }] }),
  failureEvent({ timestamp: at(4), failure_reason: "FAILURE_BY_DISABLED_HSM", user: contact(2), user_session_keys: { customer_id: "E-1", "=cmd": "=1+1", line: "L-5", score: 7 } }),
  failureEvent({ timestamp: at(5), failure_reason: "COMPANY_RATE_LIMIT", user: contact(3), user_session_keys: [{ key: "note", value: "a, \"quoted\"\nvalue" }] }),
];
/** One set of events (same ids) for both databases. */
const EVENTS = [
  ...failureDataset({ now: NOW, seed: 16, count: 1500 }).prepared,
  ...SESSION_KEY_EVENTS.map((e) => prepareEvent(e, JSON.stringify(e), Date.parse(String(e.timestamp)) + 1_500)),
];
const by = { actor: SYSTEM_ACTOR, ip: null };

/** Incidents as people handled them, alike in both databases (ids are assigned alike). */
async function handleIncidents(engine: Engine, assignee: string): Promise<void> {
  await engine.exec("UPDATE incidents SET status = 'acknowledged', acknowledged_at = last_seen + 60000, acknowledged_by = 'ana@example.com' WHERE id % 3 = 1");
  await engine.exec("UPDATE incidents SET status = 'resolved', resolved_at = last_seen + 120000, resolved_by = 'luis@example.com', note = 'fixed, \"really\"' WHERE id % 5 = 2");
  await engine.exec("UPDATE incidents SET status = 'snoozed', snooze_until = ?, snooze_failures_left = 40, snooze_until_escalating = 1 WHERE id % 7 = 3", [NOW + DAY]);
  await engine.exec("UPDATE incidents SET assignee_id = ? WHERE id % 4 = 0", [assignee]);
}

const ROUTES = { failures: getFailures, incidents: getIncidents, contacts: getContacts };
type Route = keyof typeof ROUTES;

async function get(route: Route, query: Record<string, string>, user: TestUser): Promise<Response> {
  return ROUTES[route](new Request(`http://localhost:3000/api/${route}/export?${new URLSearchParams(query).toString()}`, { headers: user.headers }));
}

const list = (codes: readonly string[]) => codes.map((c) => `'${c}'`).join(", ");
const CONTACT = "coalesce(phone_e164, cellphone)";
const IN_WINDOW = "occurred_at >= ? AND occurred_at < ?";
const windowParams = [Date.parse(WINDOW.from), Date.parse(WINDOW.to)];

/** An export, and (for some) its row count in plain SQL written apart from the export's. */
interface Case {
  route: Route;
  query: Record<string, string>;
  sql?: { text: string; params: Array<string | number> };
}
const CASES: Record<string, Case> = {
  "failures, local times and a BOM": {
    route: "failures",
    query: { ...WINDOW, tz: "America/Bogota", bom: "1" },
    sql: { text: `SELECT count(*) AS n FROM failures WHERE ${IN_WINDOW}`, params: windowParams },
  },
  "failures of one class and line, gzip": {
    route: "failures",
    query: { ...WINDOW, class: "do_not_contact", line: L1, gzip: "1" },
    sql: { text: `SELECT count(*) AS n FROM failures WHERE ${IN_WINDOW} AND reason IN (${list(DO_NOT_CONTACT_REASONS)}) AND line = ?`, params: [...windowParams, L1] },
  },
  "failures matching a phone search": { route: "failures", query: { ...WINDOW, q: "3005" } },
  "incidents of every status": {
    route: "incidents",
    query: { ...WINDOW, status: "open,acknowledged,resolved,snoozed" },
    sql: { text: `SELECT count(*) AS n FROM incidents i WHERE EXISTS (SELECT 1 FROM failures f WHERE f.incident_id = i.id AND f.${IN_WINDOW})`, params: windowParams },
  },
  "incidents assigned to the viewer, with a BOM": { route: "incidents", query: { ...WINDOW, status: "open,acknowledged,resolved,snoozed", assignee: "me", bom: "1" } },
  "the retry list": {
    route: "contacts",
    query: { ...WINDOW, list: "retry" },
    sql: {
      text: `SELECT count(*) AS n FROM (
               SELECT ${CONTACT} AS contact, reason, row_number() OVER (PARTITION BY ${CONTACT} ORDER BY occurred_at DESC, id DESC) AS k
               FROM failures WHERE ${IN_WINDOW} AND ${CONTACT} IS NOT NULL) AS latest
             WHERE k = 1 AND reason IN (${list(RETRY_REASONS)})
               AND contact NOT IN (SELECT ${CONTACT} FROM failures WHERE reason IN (${list(DO_NOT_CONTACT_REASONS)}) AND ${CONTACT} IS NOT NULL)`,
      params: windowParams,
    },
  },
  "the retry list of one line, in local time, gzip": { route: "contacts", query: { ...WINDOW, list: "retry", line: L2, tz: "Asia/Kolkata", gzip: "1" } },
  "the retry list of a few reasons (counted from the failures)": { route: "contacts", query: { ...WINDOW, list: "retry", reason: "FAILURE_BY_RATE_LIMIT,COMPANY_RATE_LIMIT" } },
  "the suppression list, with a BOM, gzip": {
    route: "contacts",
    query: { ...WINDOW, list: "suppress", bom: "1", gzip: "1" },
    sql: { text: `SELECT count(DISTINCT ${CONTACT}) AS n FROM failures WHERE ${IN_WINDOW} AND reason IN (${list(DO_NOT_CONTACT_REASONS)})`, params: windowParams },
  },
};

/** Each engine's file of each case: PostgreSQL's must equal SQLite's. */
const files = new Map<string, Map<string, Buffer>>(ENGINES.map((name) => [name, new Map()]));

describe.each(ENGINES)("the CSV exports on %s", (name) => {
  let engine: Engine;
  let operator: TestUser;
  beforeAll(async () => {
    engine = await databases.use(name);
    // The same address in both databases: the assignee column holds it.
    operator = await createTestUser("operator", "exporter@test.example");
    const result = await commitEventsTo(engine, EVENTS);
    expect(result.accepted).toBe(EVENTS.length);
    await handleIncidents(engine, operator.user.id);
    await setLineLabel(L1, { label: "Ventas, \"Bogotá\"" }, by);
    await setLineLabel(L2, { label: "=Cobranza" }, by);
  }, CLUSTER_START_TIMEOUT_MS);

  it.each(Object.entries(CASES))("%s: the same bytes on both engines, as many rows as counted", async (caseName, { route, query, sql }) => {
    const response = await get(route, query, operator);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.status, bytes.toString("utf8", 0, 300)).toBe(200);
    const text = (query.gzip ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
    const rows = (parse(text, { bom: true }) as string[][]).slice(1);
    expect(text.startsWith("\uFEFF")).toBe(query.bom === "1");
    const counted = (await (await get(route, { ...query, count: "1" }, operator)).json()) as { rows: number };
    expect(counted.rows).toBe(rows.length);
    if (sql) expect(rows.length).toBe((await engine.one<{ n: number }>(sql.text, sql.params))!.n);
    files.get(name)!.set(caseName, bytes);
    if (name === "postgres") expect(bytes.equals(files.get("sqlite")!.get(caseName)!), `${caseName}: PostgreSQL's file differs from SQLite's`).toBe(true);
  });

  it("the files hold what they are about", () => {
    const text = (caseName: string) => {
      const bytes = files.get(name)!.get(caseName)!;
      return (CASES[caseName]!.query.gzip ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
    };
    // No case is trivially empty or plain.
    const failures = parse(text("failures, local times and a BOM"), { bom: true }) as string[][];
    expect(failures[0]!.slice(-2)).toEqual(["occurred_at_local", "line_label"]);
    expect(failures.length).toBeGreaterThan(1000);
    expect(failures.some((r) => r.at(-1) === "'=Cobranza")).toBe(true);
    expect(failures.filter((r) => r.at(-2)!.endsWith("-05:00")).length).toBe(failures.length - 1);
    const incidents = parse(text("incidents of every status"), { bom: true }) as string[][];
    expect(new Set(incidents.slice(1).map((r) => r[4]))).toEqual(new Set(["open", "acknowledged", "resolved", "snoozed"]));
    expect(incidents.some((r) => r[14] === 'fixed, "really"')).toBe(true);
    const mine = parse(text("incidents assigned to the viewer, with a BOM"), { bom: true }) as string[][];
    expect(mine.length).toBeGreaterThan(1);
    expect(mine.slice(1).every((r) => r[16] === "exporter@test.example")).toBe(true);
    const retry = parse(text("the retry list"), { bom: true }) as string[][];
    expect(retry[0]).toEqual(expect.arrayContaining(["customer_id", "segment", "'=cmd", "user_session_keys.line", "score", "note", "line_label"]));
    expect(retry.length).toBeGreaterThan(50);
    expect((parse(text("the suppression list, with a BOM, gzip"), { bom: true }) as string[][]).length).toBeGreaterThan(50);
  });

  it(`refuses a user's read beyond ${MAX_HEAVY_READS_PER_USER} exports streaming (429), and frees the slots when they end`, async () => {
    const user = await createTestUser("operator");
    const streaming = [await get("failures", WINDOW, user), await get("contacts", { ...WINDOW, list: "retry" }, user)];
    for (const response of streaming) expect(response.status).toBe(200);
    const refused = await get("incidents", { ...WINDOW, count: "1" }, user);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await get("failures", WINDOW, user)).status).toBe(429);
    // Another user is served meanwhile.
    expect((await get("incidents", { ...WINDOW, count: "1" }, operator)).status).toBe(200);
    for (const response of streaming) await response.body!.cancel();
    expect((await get("incidents", { ...WINDOW, count: "1" }, user)).status).toBe(200);
  });
});

describe("an export on PostgreSQL at its deadline", () => {
  let engine: PgEngine;
  beforeAll(async () => {
    engine = (await databases.use("postgres")) as PgEngine;
  }, CLUSTER_START_TIMEOUT_MS);

  /** The export's chunk statements waiting for a lock (the worker's session, seen from outside). */
  const waitingChunks = async () =>
    (await engine.one<{ n: number }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM failures f JOIN raw_events r%'"))!.n;

  it("fails the stream with 503 query_timeout when a chunk outlives the deadline, cancelled by PostgreSQL itself", async () => {
    // Ample to open the export (its deadline runs once the worker has started); its first chunk cannot finish.
    const timeoutMs = 5_000;
    const heavy = new HeavyReads();
    const request = parseExportRequest(new URLSearchParams(WINDOW));
    // Another session holds raw_events: the export opens (it reads failures, incidents and labels), its first chunk waits.
    const held = await holdLock(engine, (tx) => tx.exec("LOCK TABLE raw_events IN ACCESS EXCLUSIVE MODE"));
    try {
      const { body } = await openExportWorker({ database: { engine: "postgres", url: databases.postgresUrl() }, timeoutMs, heavy }, "failures", { request }, { user: "u", bom: false, gzip: false });
      expect(heavy.of("u")).toBe(1);
      const pulled = Date.now();
      const reading = new Response(body).text().catch((err: unknown) => err);
      await until("the export's chunk to wait for the lock", async () => (await waitingChunks()) === 1);
      const answer = await reading;
      expect(answer).toMatchObject({ status: 503, code: "query_timeout" });
      // The first pull (already asked when the export opened) met its own deadline.
      expect(Date.now() - pulled).toBeLessThan(timeoutMs + 3_000);
      // The lock is still held, yet the statement is gone: PostgreSQL cancelled it at the deadline.
      await until("the cancelled chunk to end", async () => (await waitingChunks()) === 0, 2_000);
      expect(heavy.of("u")).toBe(0);
    } finally {
      await held.release();
    }
  });
});
