import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { updateUser } from "@/lib/auth/users";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import type { IncidentDetail, IncidentItem, IncidentList } from "@/lib/queries/incidents";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { GET as getSettings, PUT as putSettings } from "../settings/incidents/route";
import { POST as postWebhook } from "../webhooks/treble/route";
import { POST as assign } from "./[id]/assign/route";
import { POST as comment } from "./[id]/comments/route";
import { POST as ignore } from "./[id]/ignore/route";
import { POST as reopen } from "./[id]/reopen/route";
import { GET as getOne } from "./[id]/route";
import { POST as snooze } from "./[id]/snooze/route";
import { POST as unsnooze } from "./[id]/unsnooze/route";
import { GET as assignees } from "./assignees/route";
import { POST as bulk } from "./bulk/route";
import { GET as list } from "./route";

// The lifecycle API as a script calls it, on each engine: real route handlers, API tokens, a
// database per engine, and failures sent through the real webhook route.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

const BASE = "http://localhost:3000/api";
describe.each(ENGINES)("the incident lifecycle API on %s", (name) => {
  let engine: Engine;
  let admin: TestUser;
  let operator: TestUser;
  let viewer: TestUser;
  const ids: Record<string, number> = {};

  async function answerOf(response: Response): Promise<WebhookAnswer> {
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
  }
  const idContext = (id: number | string) => ({ params: Promise.resolve({ id: String(id) }) });
  type Handler = (request: Request, context: ReturnType<typeof idContext>) => Promise<Response>;
  async function post(handler: Handler, path: string, id: number | string, body: unknown, user = operator): Promise<WebhookAnswer> {
    const request = new Request(`${BASE}/incidents/${id}/${path}`, { method: "POST", headers: { ...user.headers, "content-type": "application/json" }, body: JSON.stringify(body) });
    return answerOf(await handler(request, idContext(id)));
  }
  async function listOf(query: string, user = viewer): Promise<IncidentList> {
    const answer = await answerOf(await list(new Request(`${BASE}/incidents?${query}`, { headers: user.headers })));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json as IncidentList;
  }
  async function detail(id: number): Promise<IncidentDetail> {
    return (await answerOf(await getOne(new Request(`${BASE}/incidents/${id}`, { headers: viewer.headers }), idContext(id)))).json as IncidentDetail;
  }
  async function sendFailures(template: string, count: number): Promise<void> {
    const events = Array.from({ length: count }, () => failureEvent({ timestamp: new Date(Date.now() - 60_000).toISOString(), hsm: { name: template } }));
    const answer = await answerOf(await postWebhook(new Request(`${BASE}/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) })));
    expect(answer.status).toBe(200);
  }
  /** A 409 answer: the error, plus the incident as it is now. */
  function expectConflict(answer: WebhookAnswer): IncidentItem {
    expect(answer.status, JSON.stringify(answer.json)).toBe(409);
    const json = answer.json as { error: { code: string; message: string }; current: IncidentItem };
    expect(Object.keys(json).sort()).toEqual(["current", "error"]);
    expect(json.error.code).toBe("conflict");
    return json.current;
  }
  const incidentOf = async (template: string) => (await engine.one<{ id: number }>("SELECT id FROM incidents WHERE template_key = ?", [template]))!.id;

  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens (PostgreSQL keeps them in its own database).
    await webhookSecretAtStart();
    await readFieldMapping();
    admin = await createTestUser("admin");
    operator = await createTestUser("operator");
    viewer = await createTestUser("viewer");
    for (const t of ["t_snooze", "t_ignore", "t_assign", "t_other"]) {
      await sendFailures(t, 2);
      ids[t] = await incidentOf(t);
    }
  }, CLUSTER_START_TIMEOUT_MS);

  describe("POST /api/incidents/{id}/snooze", () => {
    it("answers the snoozed incident; the counted failures through the webhook bring it back", async () => {
      const answer = await post(snooze, "snooze", ids.t_snooze!, { failures: 3, note: "waiting for the retry" });
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(answer.json).toMatchObject({ id: ids.t_snooze, status: "snoozed", snooze: { until: null, failuresLeft: 3, untilEscalating: false } });
      expect((await listOf("template=t_snooze")).items).toEqual([]);
      expect((await listOf("template=t_snooze&status=snoozed")).items.map((i) => i.id)).toEqual([ids.t_snooze]);

      await sendFailures("t_snooze", 2);
      expect(await detail(ids.t_snooze!)).toMatchObject({ status: "snoozed", snooze: { failuresLeft: 1 } });
      await sendFailures("t_snooze", 1);
      const back = await detail(ids.t_snooze!);
      expect(back).toMatchObject({ status: "open", snooze: null, count: 5 });
      expect(back.activity[0]).toMatchObject({ action: "unsnoozed", actor: null, note: "the failures it waited for arrived" });
      expect(back.activity[1]).toMatchObject({ action: "snoozed", actor: operator.user.email, note: "until 3 more failures — waiting for the retry" });
    });

    it("400 on a bad body, 409 with current when not open or acknowledged, 404 unknown, 403 for viewers", async () => {
      expect(expectError(await post(snooze, "snooze", ids.t_snooze!, { hours: 2, failures: 2 }), 400, "invalid_input").message).toContain("exactly one");
      expectError(await post(snooze, "snooze", ids.t_snooze!, { until: "2020-01-01T00:00:00Z" }), 400, "invalid_input");
      expectError(await post(snooze, "snooze", ids.t_snooze!, { hours: 9000 }), 400, "invalid_input");
      expectError(await post(snooze, "snooze", 999_999, { hours: 2 }), 404, "not_found");
      expectError(await post(snooze, "snooze", ids.t_snooze!, { hours: 2 }, viewer), 403, "forbidden");

      const until = new Date(Date.now() + 5 * 3_600_000).toISOString();
      expect((await post(snooze, "snooze", ids.t_snooze!, { until })).json).toMatchObject({ status: "snoozed", snooze: { until, failuresLeft: null, untilEscalating: false } });
      expect(expectConflict(await post(snooze, "snooze", ids.t_snooze!, { untilEscalating: true }))).toMatchObject({ status: "snoozed", snooze: { until } });
      expect((await post(unsnooze, "unsnooze", ids.t_snooze!, {})).json).toMatchObject({ status: "open", snooze: null });
      expect((await post(snooze, "snooze", ids.t_snooze!, { untilEscalating: true })).json).toMatchObject({ snooze: { until: null, failuresLeft: null, untilEscalating: true } });
    });
  });

  describe("ignore and reopen", () => {
    it("an ignored incident keeps counting, leaves Needs attention, and only a person reopens it", async () => {
      expect((await post(ignore, "ignore", ids.t_ignore!, { note: "test template" })).json).toMatchObject({ status: "ignored" });
      expect(expectConflict(await post(ignore, "ignore", ids.t_ignore!, {}))).toMatchObject({ id: ids.t_ignore, status: "ignored" });
      await sendFailures("t_ignore", 3);
      expect(await detail(ids.t_ignore!)).toMatchObject({ status: "ignored", count: 5, regressed: false });
      expect((await listOf("template=t_ignore&status=ignored")).items.map((i) => i.count)).toEqual([5]);
      expect((await post(reopen, "reopen", ids.t_ignore!, {})).json).toMatchObject({ status: "open" });
    });
  });

  describe("assign, the assignee filter and the tabs' counts", () => {
    it("assigns and unassigns, shows the assignee, refuses unknown and disabled users", async () => {
      const assigned = await post(assign, "assign", ids.t_assign!, { userId: operator.user.id });
      expect(assigned.status, JSON.stringify(assigned.json)).toBe(200);
      expect(assigned.json).toMatchObject({ assignee: { id: operator.user.id, email: operator.user.email, name: operator.user.name } });
      expect((await detail(ids.t_assign!)).activity[0]).toMatchObject({ action: "assigned", actor: operator.user.email, note: operator.user.email });

      expect(expectError(await post(assign, "assign", ids.t_assign!, { userId: "nobody" }), 400, "invalid_input").details?.[0]?.path).toBe("userId");
      expectError(await post(assign, "assign", ids.t_assign!, {}), 400, "invalid_input");
      const disabled = await createTestUser("operator");
      await updateUser(disabled.user.id, { disabled: true }, { actor: { id: null, email: null }, ip: null });
      expect(expectError(await post(assign, "assign", ids.t_assign!, { userId: disabled.user.id }), 400, "invalid_input").message).toContain("disabled");
      expectError(await post(assign, "assign", ids.t_assign!, { userId: viewer.user.id }, viewer), 403, "forbidden");
      expect((await detail(ids.t_assign!)).assignee?.id).toBe(operator.user.id);

      const names = (await answerOf(await assignees(new Request(`${BASE}/incidents/assignees`, { headers: viewer.headers })))).json as { items: Array<{ id: string }> };
      expect(names.items.map((u) => u.id)).toContain(operator.user.id);
      expect(names.items.map((u) => u.id)).not.toContain(disabled.user.id);
    });

    it("filters by assignee=me|none|<id> in the API, with counts for every tab", async () => {
      expect((await listOf("assignee=me", operator)).items.map((i) => i.id)).toEqual([ids.t_assign]);
      expect((await listOf("assignee=me", viewer)).items).toEqual([]);
      expect((await listOf(`assignee=${operator.user.id}`, viewer)).items.map((i) => i.id)).toEqual([ids.t_assign]);
      const none = (await listOf("assignee=none&status=open,acknowledged,snoozed,resolved,ignored")).items.map((i) => i.id);
      expect(none).not.toContain(ids.t_assign);
      expect(none).toContain(ids.t_other);

      const { counts } = await listOf("", operator);
      const byStatus = await engine.query<{ status: string; n: number }>("SELECT status, count(*) AS n FROM incidents GROUP BY status");
      const expected = Object.fromEntries(["open", "acknowledged", "snoozed", "resolved", "ignored"].map((s) => [s, byStatus.find((r) => r.status === s)?.n ?? 0]));
      expect(counts).toEqual({ ...expected, assignedToMe: 1 });
      expect((await listOf("", viewer)).counts.assignedToMe).toBe(0);

      expect((await post(assign, "assign", ids.t_assign!, { userId: null })).json).toMatchObject({ assignee: null });
      expect((await detail(ids.t_assign!)).activity[0]).toMatchObject({ action: "unassigned", note: null });
    });
  });

  describe("POST /api/incidents/{id}/comments", () => {
    it("201 with the entry; it shows in the activity log; empty or long text is 400", async () => {
      const answer = await post(comment, "comments", ids.t_other!, { text: "  Meta support ticket #1234 opened  " });
      expect(answer.status).toBe(201);
      expect(answer.json).toMatchObject({ action: "commented", actor: operator.user.email, note: "Meta support ticket #1234 opened", failureId: null });
      expect((await detail(ids.t_other!)).activity[0]).toMatchObject({ id: (answer.json as { id: number }).id, action: "commented", note: "Meta support ticket #1234 opened" });
      expectError(await post(comment, "comments", ids.t_other!, { text: "   " }), 400, "invalid_input");
      expectError(await post(comment, "comments", ids.t_other!, { text: "x".repeat(2001) }), 400, "invalid_input");
      expectError(await post(comment, "comments", ids.t_other!, {}), 400, "invalid_input");
      expectError(await post(comment, "comments", 999_999, { text: "hi" }), 404, "not_found");
      expectError(await post(comment, "comments", ids.t_other!, { text: "hi" }, viewer), 403, "forbidden");
    });
  });

  describe("bulk snooze, ignore and assign", () => {
    async function postBulk(body: unknown, user = operator): Promise<WebhookAnswer> {
      return answerOf(await bulk(new Request(`${BASE}/incidents/bulk`, { method: "POST", headers: { ...user.headers, "content-type": "application/json" }, body: JSON.stringify(body) })));
    }

    it("by ids and by filter, with the dry-run count", async () => {
      for (const t of ["b1", "b2", "b3"]) {
        await sendFailures(t, 1);
        ids[t] = await incidentOf(t);
      }
      const three = [ids.b1!, ids.b2!, ids.b3!];
      expect((await postBulk({ action: "assign", ids: three, userId: operator.user.id, dryRun: true })).json).toEqual({ updated: 3, skipped: 0 });
      expect((await postBulk({ action: "assign", ids: three, userId: operator.user.id })).json).toEqual({ updated: 3, skipped: 0 });
      expect((await postBulk({ action: "assign", ids: [...three, 999_999], userId: operator.user.id })).json).toEqual({ updated: 0, skipped: 4 });

      await post(snooze, "snooze", ids.b2!, { hours: 1 });
      const filter = { template: "b1,b2,b3", assignee: "me", status: "open,snoozed" };
      expect((await postBulk({ action: "snooze", filter, snooze: { failures: 10 }, dryRun: true })).json).toEqual({ updated: 2, skipped: 1 });
      expect((await postBulk({ action: "snooze", filter, snooze: { failures: 10 }, note: "bulk" })).json).toEqual({ updated: 2, skipped: 1 });
      expect((await detail(ids.b1!)).snooze).toEqual({ until: null, failuresLeft: 10, untilEscalating: false });

      expect((await postBulk({ action: "ignore", filter: { template: "b1,b2,b3", status: "snoozed" } })).json).toEqual({ updated: 3, skipped: 0 });
      expect((await listOf("template=b1,b2,b3&status=ignored")).total).toBe(3);

      expect(expectError(await postBulk({ action: "snooze", ids: three }), 400, "invalid_input").details?.[0]?.path).toBe("snooze");
      expectError(await postBulk({ action: "snooze", ids: three, snooze: { hours: 1, failures: 2 } }), 400, "invalid_input");
      expect(expectError(await postBulk({ action: "assign", ids: three }), 400, "invalid_input").details?.[0]?.path).toBe("userId");
      expectError(await postBulk({ action: "assign", ids: three, userId: "nobody" }), 400, "invalid_input");
      expectError(await postBulk({ action: "ignore", ids: three }, viewer), 403, "forbidden");
    });
  });

  describe("GET|PUT /api/settings/incidents", () => {
    const put = (body: unknown, user = admin) =>
      putSettings(new Request(`${BASE}/settings/incidents`, { method: "PUT", headers: { ...user.headers, "content-type": "application/json" }, body: JSON.stringify(body) }));
    const get = (user = admin) => getSettings(new Request(`${BASE}/settings/incidents`, { headers: user.headers }));

    it("defaults to 24 h; admins change it (audited); bad values are 400; others 403", async () => {
      expect((await answerOf(await get())).json).toEqual({ autoResolveAfterHours: 24 });
      expect((await answerOf(await put({ autoResolveAfterHours: 72 }))).json).toEqual({ autoResolveAfterHours: 72 });
      expect((await answerOf(await get())).json).toEqual({ autoResolveAfterHours: 72 });
      expect((await answerOf(await put({ autoResolveAfterHours: null }))).json).toEqual({ autoResolveAfterHours: null });
      for (const bad of [{ autoResolveAfterHours: 0 }, { autoResolveAfterHours: 721 }, { autoResolveAfterHours: "24" }, {}]) {
        expectError(await answerOf(await put(bad)), 400, "invalid_input");
      }
      expectError(await answerOf(await put({ autoResolveAfterHours: 24 }, operator)), 403, "forbidden");
      expectError(await answerOf(await get(operator)), 403, "forbidden");
      expect((await answerOf(await get())).json).toEqual({ autoResolveAfterHours: null });
      const audited = (await engine.query<{ detail: string }>("SELECT detail FROM audit_log WHERE action = 'incident_settings_changed' ORDER BY id")).map((r) => r.detail);
      expect(audited).toEqual(["auto-resolve after 72 h", "auto-resolve off"]);
    });
  });
});
