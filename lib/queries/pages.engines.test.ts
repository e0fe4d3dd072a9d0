import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { GET as getFailure } from "@/app/api/failures/[id]/route";
import { GET as listFailures } from "@/app/api/failures/route";
import { GET as getIncident } from "@/app/api/incidents/[id]/route";
import { POST as bulk } from "@/app/api/incidents/bulk/route";
import { GET as listIncidents } from "@/app/api/incidents/route";
import { acknowledgeIncident } from "@/lib/incidents/acknowledge";
import { assignIncident } from "@/lib/incidents/assign";
import { commentOnIncident } from "@/lib/incidents/comment";
import { ignoreIncident } from "@/lib/incidents/ignore";
import { resolveIncident } from "@/lib/incidents/resolve";
import { snoozeIncident } from "@/lib/incidents/snooze";
import { ASSIGNED_TO_ME_STATUSES } from "@/lib/incidents/statuses";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { closeReadPool } from "@/lib/read/pool";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, failureDataset } from "@/lib/testing/failure-dataset";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import type { FailureItem, FailureList } from "./failures";
import type { IncidentDetail, IncidentItem, IncidentList } from "./incidents";

// The failures and incidents pages on either engine, through their routes (SQLite: a read
// worker; PostgreSQL: the read path's pool): the same data gives the same JSON, page by page, and
// every page is what plain SQL over the tables says.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(async () => {
  await closeReadPool();
  await databases.cleanup();
});

const NOW = Date.now();
const [L1, L2] = DATASET_LINES;
const [T1] = DATASET_TEMPLATES;
const FROM = NOW - 60 * DAY;
const WINDOW = `from=${new Date(FROM).toISOString()}&to=${new Date(NOW).toISOString()}`;
/**
 * Templates whose byte order (SQLite's) is not a linguistic collation's: "_" sorts after digits
 * and capitals before small letters bytewise, the other way round in en_US or ICU.
 */
const BYTEWISE_TEMPLATES = ["Otp_v2", "otp2", "otp_login", "otp_Login"];
/** The same events (ids included) for both engines. */
const DATASET = [
  ...failureDataset({ now: NOW, seed: 23, count: 900 }).prepared,
  ...BYTEWISE_TEMPLATES.flatMap((template, i) =>
    [1, 2, 3].map((k) => {
      const event = failureEvent({ timestamp: new Date(NOW - (i * 3 + k) * 3_600_000).toISOString(), hsm: { name: template } });
      return prepareEvent(event, JSON.stringify(event), NOW - 1_000);
    }),
  ),
];
const ALL_STATUSES = ["open", "acknowledged", "snoozed", "resolved", "ignored"];

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** What SQLite answered, by request, to compare PostgreSQL's answer with. */
const sqliteAnswers = new Map<string, unknown>();

describe.each(ENGINES)("the failures and incidents pages on %s", (name) => {
  let engine: Engine;
  let operator: TestUser;
  let viewer: TestUser;

  /** The answer with the users' ids (random per database) named by role, compared with SQLite's for the same request. */
  function expectSameAsSqlite(key: string, answer: unknown): void {
    const comparable: unknown = JSON.parse(JSON.stringify(answer).replaceAll(operator.user.id, "<operator>").replaceAll(viewer.user.id, "<viewer>"));
    if (name === "sqlite") sqliteAnswers.set(key, comparable);
    else expect(comparable, key).toEqual(sqliteAnswers.get(key));
  }

  const idsOf = async (sql: string, params: Param[] = []) => (await engine.query<{ id: number }>(sql, params)).map((r) => r.id);

  beforeAll(async () => {
    engine = await databases.use(name);
    if (name === "postgres") {
      // A database collation that is not bytewise (en_US, say): the pages must still sort text as SQLite does.
      for (const sorted of ["reason", "line", "template"]) await engine.exec(`ALTER TABLE failures ALTER COLUMN ${sorted} TYPE text COLLATE "und-x-icu"`);
    }
    operator = await createTestUser("operator", "operator@pages.test");
    viewer = await createTestUser("viewer", "viewer@pages.test");
    await commitEventsTo(engine, DATASET);
    // Mixed statuses and assignees through the incident verbs, at fixed times.
    const by = { actor: operator.user, ip: null };
    const ids = await idsOf("SELECT id FROM incidents ORDER BY id");
    for (const id of ids) {
      if (id % 5 === 1) await acknowledgeIncident(id, { note: `seen ${id}` }, by, NOW - 3 * DAY);
      else if (id % 5 === 2) await resolveIncident(id, { note: "fixed" }, by, NOW - 2 * DAY);
      else if (id % 7 === 3) await ignoreIncident(id, {}, by, NOW - DAY);
      else if (id % 11 === 4) await snoozeIncident(id, { hours: 48 }, by, NOW - DAY);
      if (id % 4 === 0) await assignIncident(id, { userId: operator.user.id }, by, NOW - 2 * DAY);
      else if (id % 6 === 5) await assignIncident(id, { userId: viewer.user.id }, by, NOW - 2 * DAY);
      if (id % 9 === 0) await commentOnIncident(id, { text: `look at ${id}` }, by, NOW - DAY);
    }
  }, CLUSTER_START_TIMEOUT_MS);

  /** Every page of a failures query, following nextCursor, each page compared with SQLite's. */
  async function failurePages(query: string, limit: number): Promise<{ items: FailureItem[]; total: number; pages: number }> {
    const items: FailureItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let total = -1;
    do {
      const path: string = `/api/failures?${WINDOW}&${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const answer = await answerOf(await listFailures(new Request(`http://localhost:3000${path}`, { headers: viewer.headers })));
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      const page = answer.json as unknown as FailureList;
      expectSameAsSqlite(`${query} page ${pages}`, page);
      if (page.nextCursor) expect(page.items).toHaveLength(limit);
      items.push(...page.items);
      total = page.total;
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    return { items, total, pages };
  }

  /** Failure ids in the window under `where` (on `failures f JOIN incidents i`), ordered by `orderBy`: the pages' reference. */
  const referenceFailures = (where: string, params: Param[], orderBy: string) =>
    idsOf(`SELECT f.id FROM failures f JOIN incidents i ON i.id = f.incident_id WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${where} ORDER BY ${orderBy}`, [FROM, NOW, ...params]);

  /** SQLite's text order, spelled on PostgreSQL (whose failures' text columns sort linguistically here). */
  const bytewise = (column: string) => (name === "postgres" ? `${column} COLLATE "C"` : column);
  const phone = (digits: string) => ({ where: "(f.phone_e164 LIKE ? OR f.cellphone LIKE ?)", params: [`%${digits}%`, `%${digits}%`] });
  const FAILURE_QUERIES: Array<{ query: string; where: string; params: Param[]; orderBy: string; limit: number }> = [
    { query: "", where: "TRUE", params: [], orderBy: "f.occurred_at DESC, f.id DESC", limit: 200 },
    { query: "dir=asc", where: "TRUE", params: [], orderBy: "f.occurred_at ASC, f.id ASC", limit: 200 },
    { query: "q=300", ...phone("300"), orderBy: "f.occurred_at DESC, f.id DESC", limit: 25 },
    { query: "q=57&sort=line", ...phone("57"), orderBy: `${bytewise("f.line")} DESC, f.occurred_at DESC, f.id DESC`, limit: 25 },
    { query: `q=${encodeURIComponent("+57 3015")}`, ...phone("573015"), orderBy: "f.occurred_at DESC, f.id DESC", limit: 25 },
    { query: "status=acknowledged,snoozed", where: "i.status IN ('acknowledged', 'snoozed')", params: [], orderBy: "f.occurred_at DESC, f.id DESC", limit: 25 },
    { query: `status=open&line=${encodeURIComponent(L1)}&dir=asc`, where: "i.status = 'open' AND f.line = ?", params: [L1], orderBy: "f.occurred_at ASC, f.id ASC", limit: 25 },
    // Every incident (more than one batch of them), each page drawing from several: the visit by
    // how far incidents' failures reach must not stop early or drop rows of later batches.
    { query: `status=${ALL_STATUSES.join(",")}`, where: "TRUE", params: [], orderBy: "f.occurred_at DESC, f.id DESC", limit: 9 },
    { query: `status=${ALL_STATUSES.join(",")}&dir=asc`, where: "TRUE", params: [], orderBy: "f.occurred_at ASC, f.id ASC", limit: 9 },
    { query: `line=${encodeURIComponent(L2)}&template=${T1}`, where: "f.line = ? AND f.template = ?", params: [L2, T1], orderBy: "f.occurred_at DESC, f.id DESC", limit: 7 },
    { query: "sort=reason&dir=asc", where: "TRUE", params: [], orderBy: `${bytewise("f.reason")} ASC, f.occurred_at ASC, f.id ASC`, limit: 100 },
    { query: `template=${BYTEWISE_TEMPLATES.join(",")},${T1}&sort=template&dir=asc`, where: `f.template IN ('${BYTEWISE_TEMPLATES.join("', '")}', ?)`, params: [T1], orderBy: `${bytewise("f.template")} ASC, f.occurred_at ASC, f.id ASC`, limit: 2 },
    { query: "sort=template", where: "TRUE", params: [], orderBy: `${bytewise("f.template")} DESC, f.occurred_at DESC, f.id DESC`, limit: 100 },
    { query: "template=(unknown)&sort=line&dir=asc", where: "f.template = ''", params: [], orderBy: `${bytewise("f.line")} ASC, f.occurred_at ASC, f.id ASC`, limit: 5 },
  ];

  it.each(FAILURE_QUERIES)("GET /api/failures?$query pages through every failure by cursor as plain SQL does, total included", async ({ query, where, params, orderBy, limit }) => {
    const { items, total, pages } = await failurePages(query, limit);
    const expected = await referenceFailures(where, params, orderBy);
    expect(expected.length).toBeGreaterThan(limit);
    expect(items.map((f) => f.id)).toEqual(expected);
    expect(total).toBe(expected.length);
    expect(pages).toBe(Math.ceil(expected.length / limit));
  });

  it("GET /api/failures/:id answers a failure with its payload; 404 for an unknown one, 400 for a bad id or cursor", async () => {
    const ids = await idsOf("SELECT id FROM failures WHERE id IN (SELECT min(id) FROM failures UNION SELECT max(id) FROM failures UNION SELECT min(id) FROM failures WHERE phone_e164 IS NULL) ORDER BY id");
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      const answer = await answerOf(await getFailure(new Request(`http://localhost:3000/api/failures/${id}`, { headers: viewer.headers }), { params: Promise.resolve({ id: String(id) }) }));
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ id, rawPayload: expect.stringContaining('"deployment.failure"') });
      expectSameAsSqlite(`failure ${id}`, answer.json);
    }
    const errors: Answer[] = [];
    for (const id of ["999999999", "abc"]) errors.push(await answerOf(await getFailure(new Request(`http://localhost:3000/api/failures/${id}`, { headers: viewer.headers }), { params: Promise.resolve({ id }) })));
    const badCursor = Buffer.from(JSON.stringify(["x", 1])).toString("base64url");
    for (const query of [`cursor=${badCursor}`, "sort=reason&cursor=nope", "status=closed"]) {
      errors.push(await answerOf(await listFailures(new Request(`http://localhost:3000/api/failures?${query}`, { headers: viewer.headers }))));
    }
    expect(errors.map((e) => e.status)).toEqual([404, 400, 400, 400, 400]);
    expectSameAsSqlite("failure errors", errors);
  });

  /** Every page of an incidents query as `user`, each page compared with SQLite's. */
  async function incidentPages(query: string, limit: number, user: TestUser): Promise<{ items: IncidentItem[]; first: IncidentList }> {
    const items: IncidentItem[] = [];
    let cursor: string | null = null;
    let first: IncidentList | undefined;
    let pages = 0;
    do {
      const path: string = `/api/incidents?${WINDOW}&${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const answer = await answerOf(await listIncidents(new Request(`http://localhost:3000${path}`, { headers: user.headers })));
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      const page = answer.json as unknown as IncidentList;
      expectSameAsSqlite(`incidents ${query} page ${pages++}`, page);
      first ??= page;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return { items, first: first! };
  }

  /** Incidents with a failure in the window (matching `failureWhere`) and `where`, ordered: the list's reference. */
  const referenceIncidents = (where: string, params: Param[], orderBy: string, failureWhere = "TRUE", failureParams: Param[] = []) =>
    idsOf(
      `SELECT i.id FROM incidents i WHERE ${where} AND EXISTS (SELECT 1 FROM failures f WHERE f.incident_id = i.id AND f.occurred_at >= ? AND f.occurred_at < ? AND ${failureWhere}) ORDER BY ${orderBy}`,
      [...params, FROM, NOW, ...failureParams],
    );
  const statusIn = (statuses: readonly string[]) => `i.status IN (${statuses.map((s) => `'${s}'`).join(", ")})`;

  const INCIDENT_QUERIES: Array<{ query: string; statuses: string[]; assignee?: "me" | "none"; dims?: { where: string; params: Param[] }; failure?: { where: string; params: Param[] }; orderBy: string }> = [
    { query: "", statuses: ["open"], orderBy: "i.last_seen DESC, i.id DESC" },
    { query: `status=${ALL_STATUSES.join(",")}&sort=count&dir=asc`, statuses: ALL_STATUSES, orderBy: "i.failures ASC, i.id ASC" },
    { query: "status=acknowledged,snoozed,open&assignee=me&sort=firstSeen", statuses: ["acknowledged", "snoozed", "open"], assignee: "me", orderBy: "i.first_seen DESC, i.id DESC" },
    { query: `status=${ALL_STATUSES.join(",")}&assignee=none&dir=asc`, statuses: ALL_STATUSES, assignee: "none", orderBy: "i.last_seen ASC, i.id ASC" },
    {
      query: `status=open,resolved&line=${encodeURIComponent(`${L1},(unknown)`)}&q=301`,
      statuses: ["open", "resolved"],
      dims: { where: "i.line_key IN (?, '')", params: [L1] },
      failure: phone("301"),
      orderBy: "i.last_seen DESC, i.id DESC",
    },
  ];

  it.each(INCIDENT_QUERIES)("GET /api/incidents?$query pages through the incidents as plain SQL does, with the tabs' counts", async ({ query, statuses, assignee, dims, failure, orderBy }) => {
    const { items, first } = await incidentPages(query, 4, operator);
    const narrowed = (where: string, params: Param[]) => referenceIncidents(`${where} AND ${dims?.where ?? "TRUE"}`, [...params, ...(dims?.params ?? [])], orderBy, failure?.where, failure?.params);
    const assigned = assignee === "me" ? " AND i.assignee_id = ?" : assignee === "none" ? " AND i.assignee_id IS NULL" : "";
    const expected = await narrowed(`${statusIn(statuses)}${assigned}`, assignee === "me" ? [operator.user.id] : []);
    expect(expected.length).toBeGreaterThan(4);
    expect(items.map((i) => i.id)).toEqual(expected);
    expect(first.total).toBe(expected.length);
    // The tabs count each status under the other filters (not the assignee), and what the viewer has open.
    const counts: Record<string, number> = {};
    for (const status of ALL_STATUSES) counts[status] = (await narrowed(statusIn([status]), [])).length;
    counts.assignedToMe = (await narrowed(`${statusIn(ASSIGNED_TO_ME_STATUSES)} AND i.assignee_id = ?`, [operator.user.id])).length;
    expect(first.counts).toEqual(counts);
    expect(counts.assignedToMe).toBeGreaterThan(0);
  });

  it("GET /api/incidents/:id answers the incident with its activity, newest first; 404 and 400 as on SQLite", async () => {
    const ids = await idsOf("SELECT id FROM incidents WHERE id % 36 = 0 OR id IN (1, 2) ORDER BY id");
    expect(ids.length).toBeGreaterThan(2);
    for (const id of ids) {
      const answer = await answerOf(await getIncident(new Request(`http://localhost:3000/api/incidents/${id}`, { headers: viewer.headers }), { params: Promise.resolve({ id: String(id) }) }));
      expect(answer.status).toBe(200);
      const detail = answer.json as unknown as IncidentDetail;
      const expected = await idsOf("SELECT id FROM incident_activity WHERE incident_id = ? ORDER BY at DESC, id DESC", [id]);
      expect(detail.activity.map((a) => a.id)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
      expectSameAsSqlite(`incident ${id}`, answer.json);
    }
    const commented = (await getIncidentJson(36)).activity.map((a) => a.action);
    expect(commented).toEqual(expect.arrayContaining(["commented", "assigned"]));
    const errors: Answer[] = [];
    for (const id of ["999999999", "abc", "0", "99999999999999999999"]) errors.push(await answerOf(await getIncident(new Request(`http://localhost:3000/api/incidents/${id}`, { headers: viewer.headers }), { params: Promise.resolve({ id }) })));
    errors.push(await answerOf(await listIncidents(new Request("http://localhost:3000/api/incidents?sort=count&cursor=nope", { headers: viewer.headers }))));
    expect(errors.map((e) => e.status)).toEqual([404, 400, 400, 400, 400]);
    expectSameAsSqlite("incident errors", errors);
  });

  async function getIncidentJson(id: number): Promise<IncidentDetail> {
    const answer = await answerOf(await getIncident(new Request(`http://localhost:3000/api/incidents/${id}`, { headers: viewer.headers }), { params: Promise.resolve({ id: String(id) }) }));
    return answer.json as unknown as IncidentDetail;
  }

  it("POST /api/incidents/bulk by filter acknowledges what the list's filter matches (dry run first)", async () => {
    const filter = { from: new Date(FROM).toISOString(), to: new Date(NOW).toISOString(), line: L2, q: "30" };
    const selected = await referenceIncidents("i.status = 'open' AND i.line_key = ?", [L2], "i.id", phone("30").where, phone("30").params);
    expect(selected.length).toBeGreaterThan(1);
    const post = async (body: unknown) =>
      answerOf(await bulk(new Request("http://localhost:3000/api/incidents/bulk", { method: "POST", headers: { ...operator.headers, "content-type": "application/json" }, body: JSON.stringify(body) })));
    const dryRun = await post({ action: "acknowledge", filter, dryRun: true });
    expect(dryRun).toEqual({ status: 200, json: { updated: selected.length, skipped: 0 } });
    expect(await post({ action: "acknowledge", filter, note: "bulk" })).toEqual({ status: 200, json: { updated: selected.length, skipped: 0 } });
    expect(await idsOf(`SELECT id FROM incidents WHERE status = 'acknowledged' AND id IN (${selected.join(", ")}) ORDER BY id`)).toEqual(selected);
    // Acknowledged now (the route's clock): compared with the tables rather than with SQLite's answer.
    const listed = await answerOf(await listIncidents(new Request(`http://localhost:3000/api/incidents?${WINDOW}&line=${encodeURIComponent(L2)}&q=30&status=acknowledged&limit=200`, { headers: operator.headers })));
    expect((listed.json as unknown as IncidentList).items.map((i) => i.id)).toEqual(expect.arrayContaining(selected));
    expect((await post({ action: "acknowledge", filter: { ...filter, status: "closed" } })).status).toBe(400);
  });
});
