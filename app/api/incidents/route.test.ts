import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import type { IncidentDetail, IncidentItem, IncidentList } from "@/lib/queries/incidents";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, HOUR, loadFailureDatasetTo, mixIncidentStatusesOn } from "@/lib/testing/failure-dataset";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { POST as postWebhook } from "../webhooks/treble/route";
import { POST as acknowledge } from "./[id]/acknowledge/route";
import { POST as reopen } from "./[id]/reopen/route";
import { POST as resolve } from "./[id]/resolve/route";
import { GET as getOne } from "./[id]/route";
import { POST as bulk } from "./bulk/route";
import { GET as list } from "./route";

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

const BASE = "http://localhost:3000/api/incidents";

describe.each(ENGINES)("the incidents API on %s", (name) => {
  // Presets resolve against the real clock, so each engine's data is anchored to it, away from preset edges.
  let NOW = 0;
  let engine: Engine;
  let operator: TestUser;
  let viewer: TestUser;

  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens (PostgreSQL keeps them in its own database).
    await webhookSecretAtStart();
    await readFieldMapping();
    operator = await createTestUser("operator");
    viewer = await createTestUser("viewer");
    NOW = Date.now();
    await loadFailureDatasetTo(engine, { now: NOW, seed: 5, count: 2000, avoid: { instants: [NOW - DAY, NOW - 7 * DAY, NOW - 30 * DAY], margin: 10 * 60_000 } });
    await mixIncidentStatusesOn(engine);
  }, CLUSTER_START_TIMEOUT_MS + 60_000);

  async function answerOf(response: Response): Promise<WebhookAnswer> {
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
  }

  type Action = typeof acknowledge;
  const ACTIONS = { acknowledge, resolve, reopen } as const;
  const idContext = (id: number | string) => ({ params: Promise.resolve({ id: String(id) }) });

  async function act(action: keyof typeof ACTIONS, id: number | string, body: unknown = {}, user = operator): Promise<WebhookAnswer> {
    const handler: Action = ACTIONS[action];
    const request = new Request(`${BASE}/${id}/${action}`, { method: "POST", headers: { ...user.headers, "content-type": "application/json" }, body: JSON.stringify(body) });
    return answerOf(await handler(request, idContext(id)));
  }

  async function postBulk(body: unknown, user = operator): Promise<WebhookAnswer> {
    return answerOf(await bulk(new Request(`${BASE}/bulk`, { method: "POST", headers: { ...user.headers, "content-type": "application/json" }, body: JSON.stringify(body) })));
  }

  async function detail(id: number): Promise<IncidentDetail> {
    const answer = await answerOf(await getOne(new Request(`${BASE}/${id}`, { headers: viewer.headers }), idContext(id)));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json as IncidentDetail;
  }

  /** Every incident a query lists, following nextCursor to the end. */
  async function listAll(query: string, limit = 7): Promise<{ items: IncidentItem[]; total: number }> {
    const items: IncidentItem[] = [];
    let cursor: string | null = null;
    let total = -1;
    do {
      const url: string = `${BASE}?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const answer = await answerOf(await list(new Request(url, { headers: viewer.headers })));
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      const page = answer.json as IncidentList;
      total = page.total;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return { items, total };
  }

  const incidentRow = async (id: number) => (await engine.one<{ status: string; regressed: number; note: string | null }>("SELECT * FROM incidents WHERE id = ?", [id]))!;
  const allStatuses = async () => new Map((await engine.query<{ id: number; status: string }>("SELECT id, status FROM incidents")).map((r) => [r.id, r.status]));
  const idOf = async (sql: string, params: Param[] = []) => (await engine.one<{ id: number }>(sql, params))!.id;

  /**
   * The incidents a filter selects, written independently of lib/queries: the incident's own
   * columns for reason/line/template/status, and a failure of it inside the window.
   */
  async function referenceIds(opts: { reasons?: string[]; lines?: string[]; templates?: string[]; statuses: string[]; from: number; to: number }): Promise<number[]> {
    const values = engine.dialect.jsonArrayValues("text");
    const where = [`i.status IN ${values}`, "EXISTS (SELECT 1 FROM failures f WHERE f.incident_id = i.id AND f.occurred_at >= ? AND f.occurred_at < ?)"];
    const params: Param[] = [JSON.stringify(opts.statuses), opts.from, opts.to];
    for (const [col, chosen] of [["reason", opts.reasons], ["line_key", opts.lines], ["template_key", opts.templates]] as const) {
      if (chosen) {
        where.push(`i.${col} IN ${values}`);
        params.push(JSON.stringify(chosen));
      }
    }
    return (await engine.query<{ id: number }>(`SELECT i.id AS id FROM incidents i WHERE ${where.join(" AND ")} ORDER BY i.id`, params)).map((r) => r.id);
  }

  const ids = (items: IncidentItem[]) => items.map((i) => i.id).sort((a, b) => a - b);

  describe("GET /api/incidents", () => {
    it("defaults to open incidents (Needs attention) with failures in the last 24 h, sorted by last seen, keyset-paged", async () => {
      const { items, total } = await listAll("");
      const expected = await referenceIds({ statuses: ["open"], from: NOW - DAY, to: Date.now() });
      expect(expected.length).toBeGreaterThan(5);
      expect(ids(items)).toEqual(expected);
      expect(total).toBe(expected.length);
      const lastSeen = items.map((i) => Date.parse(i.lastSeen));
      expect(lastSeen).toEqual([...lastSeen].sort((a, b) => b - a));
      expect(Object.keys(items[0]!)).toEqual(expect.arrayContaining(["id", "reason", "line", "template", "status", "regressed", "count", "contacts", "firstSeen", "lastSeen", "acknowledgedAt", "acknowledgedBy", "resolvedAt", "resolvedBy", "note"]));
    });

    it("filters by status, reason, line and template (unknown ones too) and sorts by count and first seen", async () => {
      const query = `range=30d&status=resolved,open&reason=FAILURE_BY_RATE_LIMIT,invalid_phone&line=${encodeURIComponent(`${DATASET_LINES[0]},(unknown)`)}`;
      const byCount = await listAll(`${query}&sort=count&dir=desc`, 3);
      const expected = await referenceIds({ reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE"], lines: [DATASET_LINES[0], ""], statuses: ["resolved", "open"], from: NOW - 30 * DAY, to: Date.now() });
      expect(expected.length).toBeGreaterThan(2);
      expect(ids(byCount.items)).toEqual(expected);
      const counts = byCount.items.map((i) => i.count);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      const byFirst = await listAll(`${query}&sort=firstSeen&dir=asc`, 4);
      const firsts = byFirst.items.map((i) => Date.parse(i.firstSeen));
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));

      const template = DATASET_TEMPLATES[1];
      const byTemplate = await listAll(`range=7d&status=open,acknowledged,resolved&template=${encodeURIComponent(`${template},(unknown)`)}`);
      expect(ids(byTemplate.items)).toEqual(await referenceIds({ templates: [template, ""], statuses: ["open", "acknowledged", "resolved"], from: NOW - 7 * DAY, to: Date.now() }));
    });

    it("answers 400 naming the bad parameter", async () => {
      for (const [query, path] of [["status=closed", "status"], ["sort=name", "sort"], ["limit=0", "limit"], ["cursor=nope", "cursor"]] as const) {
        const error = expectError(await answerOf(await list(new Request(`${BASE}?${query}`, { headers: viewer.headers }))), 400);
        expect(error.details?.[0]?.path).toBe(path);
      }
    });
  });

  describe("actions", () => {
    const openIncident = () => idOf("SELECT id FROM incidents WHERE status = 'open' ORDER BY id LIMIT 1");

    it("two concurrent acknowledges: exactly one 200 and one 409 carrying the current state; one activity and one audit row", async () => {
      const id = await openIncident();
      const answers = await Promise.all([act("acknowledge", id, { note: "mine" }), act("acknowledge", id, { note: "no, mine" })]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.status === 200)!.json as IncidentItem;
      const loser = answers.find((a) => a.status === 409)!.json as { error: { code: string; message: string }; current: IncidentItem };
      expect(winner).toMatchObject({ id, status: "acknowledged", acknowledgedBy: operator.user.email });
      expect(loser.error.code).toBe("conflict");
      expect(loser.current).toEqual(winner);
      const activity = await engine.query("SELECT action, actor FROM incident_activity WHERE incident_id = ?", [id]);
      expect(activity).toEqual([{ action: "acknowledged", actor: operator.user.email }]);
      const audit = await engine.query("SELECT action, actor_email FROM audit_log WHERE target = ?", [`incident #${id}`]);
      expect(audit).toEqual([{ action: "incident_acknowledged", actor_email: operator.user.email }]);
    });

    it("an invalid transition is a 409 with the current state; unknown id 404; bad input 400 naming the field", async () => {
      const id = await openIncident();
      expect((await act("resolve", id, { note: "fixed the template" })).status).toBe(200);
      const conflict = await act("acknowledge", id);
      expect(conflict.status).toBe(409);
      expect((conflict.json as { current: IncidentItem }).current).toMatchObject({ id, status: "resolved", note: "fixed the template" });
      expectError(await act("acknowledge", 999_999), 404, "not_found");
      expect(expectError(await act("resolve", id, { note: 7 }), 400).details?.[0]?.path).toBe("note");
      expect(expectError(await act("reopen", "x"), 400).details?.[0]?.path).toBe("id");
    });

    it("viewers may read but not act (403), alone or in bulk", async () => {
      const id = await openIncident();
      expectError(await act("acknowledge", id, {}, viewer), 403, "forbidden");
      expectError(await postBulk({ action: "resolve", ids: [id] }, viewer), 403, "forbidden");
      expect((await incidentRow(id)).status).toBe("open");
      expect((await detail(id)).id).toBe(id);
    });

    it("a failure after resolve reopens the incident as regressed, through the real webhook", async () => {
      const event = () => failureEvent({ event_id: nextEventId("reg"), timestamp: new Date().toISOString(), failure_reason: "FAILURE_BY_DISABLED_HSM", line: "+573009990001", hsm: { name: "regression_probe" } });
      const send = async () => {
        const response = await postWebhook(new Request(`http://localhost:3000/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event()) }));
        expect(response.status).toBe(200);
      };
      await send();
      const id = await idOf("SELECT id FROM incidents WHERE template_key = 'regression_probe'");
      expect((await act("resolve", id, { note: "resubmitted to Meta" })).status).toBe(200);
      await send();
      const failureId = await idOf("SELECT max(id) AS id FROM failures WHERE incident_id = ?", [id]);
      const after = await detail(id);
      expect(after).toMatchObject({ status: "open", regressed: true, reopenedCount: 1, count: 2, resolvedBy: operator.user.email, note: "resubmitted to Meta" });
      expect(after.activity.map((a) => [a.action, a.actor, a.failureId])).toEqual([
        ["regressed", null, failureId],
        ["resolved", operator.user.email, null],
      ]);
      const listed = await listAll("status=open&template=regression_probe&range=1h");
      expect(listed.items).toEqual([expect.objectContaining({ id, regressed: true })]);
    });
  });

  describe("POST /api/incidents/bulk", () => {
    it("by filter acts on exactly the incidents an independent selection finds, and says how many it skipped", async () => {
      const filter = { range: "7d", status: "open,acknowledged", reason: "FAILURE_BY_RATE_LIMIT,INVALID_PHONE,FAILURE_BY_UNABLE_TO_CONTACT", line: `${DATASET_LINES[1]},${DATASET_LINES[2]}` };
      const selected = await referenceIds({
        reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE", "FAILURE_BY_UNABLE_TO_CONTACT"],
        lines: [DATASET_LINES[1], DATASET_LINES[2]],
        statuses: ["open", "acknowledged"],
        from: NOW - 7 * DAY,
        to: Date.now(),
      });
      const before = await allStatuses();
      const openOnes = selected.filter((id) => before.get(id) === "open");
      expect(openOnes.length).toBeGreaterThan(0);
      expect(selected.length).toBeGreaterThan(openOnes.length);

      const dry = await postBulk({ action: "acknowledge", filter, dryRun: true });
      expect(dry.json).toEqual({ updated: openOnes.length, skipped: selected.length - openOnes.length });
      expect(await allStatuses()).toEqual(before);

      const answer = await postBulk({ action: "acknowledge", filter, note: "rate limits: pausing line" });
      expect(answer.json).toEqual({ updated: openOnes.length, skipped: selected.length - openOnes.length });
      const after = await allStatuses();
      for (const [id, status] of before) expect(after.get(id), `incident ${id}`).toBe(openOnes.includes(id) ? "acknowledged" : status);
      const noted = (await engine.query<{ id: number }>("SELECT incident_id AS id FROM incident_activity WHERE note = 'rate limits: pausing line' ORDER BY incident_id")).map((r) => r.id);
      expect(noted).toEqual(openOnes);
      const audited = (await engine.one<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'incident_acknowledged' AND detail = 'rate limits: pausing line'"))!.n;
      expect(audited).toBe(openOnes.length);

      // The same filter with every status, resolving: everything selected that is not resolved.
      const everyStatus = { ...filter, status: "open,acknowledged,resolved" };
      const all = await referenceIds({ reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE", "FAILURE_BY_UNABLE_TO_CONTACT"], lines: [DATASET_LINES[1], DATASET_LINES[2]], statuses: ["open", "acknowledged", "resolved"], from: NOW - 7 * DAY, to: Date.now() });
      const unresolved = all.filter((id) => after.get(id) !== "resolved");
      expect((await postBulk({ action: "resolve", filter: everyStatus })).json).toEqual({ updated: unresolved.length, skipped: all.length - unresolved.length });
      for (const id of all) expect((await incidentRow(id)).status).toBe("resolved");
    });

    it("by ids: unknown ids and disallowed statuses are skipped, never capped silently", async () => {
      const resolvedId = await idOf("SELECT id FROM incidents WHERE status = 'resolved' ORDER BY id LIMIT 1");
      const openId = await idOf("SELECT id FROM incidents WHERE status = 'open' ORDER BY id LIMIT 1");
      expect((await postBulk({ action: "reopen", ids: [resolvedId, openId, 888_888, resolvedId] })).json).toEqual({ updated: 1, skipped: 2 });
      expect((await incidentRow(resolvedId)).status).toBe("open");
      const tooMany = expectError(await postBulk({ action: "reopen", ids: Array.from({ length: 10_001 }, (_, i) => i + 1) }), 400);
      expect(tooMany.details?.[0]?.path).toBe("ids");
    });

    it("answers 400 naming the field", async () => {
      const cases: Array<[unknown, string]> = [
        [{ action: "close", ids: [1] }, "action"],
        [{ action: "resolve" }, "ids"],
        [{ action: "resolve", ids: [1], filter: {} }, "ids"],
        [{ action: "resolve", filter: { status: "closed" } }, "filter.status"],
        [{ action: "resolve", filter: { range: "2y" } }, "filter.range"],
        [{ action: "resolve", ids: [1], note: ["x"] }, "note"],
      ];
      for (const [body, path] of cases) expect(expectError(await postBulk(body), 400).details?.[0]?.path, JSON.stringify(body)).toBe(path);
    });

    it("matches the window by failures, not by first/last seen: an incident quiet during the window is left out", async () => {
      const t = Date.now();
      const at = (ms: number) => failureEvent({ event_id: nextEventId("gap"), timestamp: new Date(ms).toISOString(), failure_reason: "REVOKED", line: "+573007770001", hsm: { name: "gap_probe" } });
      const response = await postWebhook(new Request(`http://localhost:3000/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([at(t - 10 * DAY), at(t - HOUR)]) }));
      expect(response.status).toBe(200);
      const window = (from: number, to: number) => `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&template=gap_probe`;
      expect((await listAll(window(t - 5 * DAY, t - 2 * DAY))).total).toBe(0);
      expect((await listAll(window(t - 2 * HOUR, t))).total).toBe(1);
      expect((await postBulk({ action: "resolve", filter: { from: new Date(t - 5 * DAY).toISOString(), to: new Date(t - 2 * DAY).toISOString(), template: "gap_probe" } })).json).toEqual({ updated: 0, skipped: 0 });
    });
  });
});
