import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { startFakeTreble } from "@/lib/testing/fake-treble";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { GET as getPlanRoute } from "@/app/api/redeploy/plans/[id]/route";
import { POST as cancelRoute } from "@/app/api/redeploy/plans/[id]/cancel/route";
import { POST as pauseRoute } from "@/app/api/redeploy/plans/[id]/pause/route";
import { POST as resumeRoute } from "@/app/api/redeploy/plans/[id]/resume/route";
import { POST as sendRoute } from "@/app/api/redeploy/plans/[id]/send/route";
import { GET as listRoute, POST as createRoute } from "@/app/api/redeploy/plans/route";
import { GET as getSettingsRoute, PATCH as patchSettingsRoute } from "@/app/api/redeploy/settings/route";
import type { PlanDetail } from "./plans";
import { MAX_ATTEMPTS, startRedeployWorker, type RedeployWorker } from "./worker";

// A fake Treble on loopback plays the documented endpoint; the worker runs in this process, as in
// the server. The API key is entered by an admin (so it is stored encrypted with SECRET_KEY). The
// same tests run on SQLite and PostgreSQL, each engine's database fresh and the fake Treble reset.
const fake = await startFakeTreble({ apiKey: "ak_live_9f8e7d6c5b4a3210" });
const SECRET_KEY = "test-secret-key-for-encryption-0123";
const databases = setupEngineDatabases({
  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  WEBHOOK_SIGNING_SECRET: undefined,
  TREBLE_API_URL: fake.url,
  TREBLE_API_KEY: undefined,
  SECRET_KEY,
  REDEPLOY_MAX_CONTACTS: "1500",
  TREBLE_API_TIMEOUT_MS: "1500",
});

let admin: TestUser;
let operator: TestUser;
let viewer: TestUser;
let worker: RedeployWorker;
const NOW = Date.now();
const BASE = "http://localhost:3000/api/redeploy";

afterAll(async () => {
  await fake.close();
  await databases.cleanup();
});

interface Answer<T = unknown> {
  status: number;
  json: T;
}

type Handler = (request: Request, context: { params: Promise<{ id: string }> }) => Promise<Response>;
async function call<T = PlanDetail>(handler: Handler | ((request: Request) => Promise<Response>), path: string, options: { method?: string; body?: unknown; user?: TestUser; id?: number } = {}): Promise<Answer<T>> {
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const request = new Request(`${BASE}${path}`, {
    method,
    headers: { ...(options.user ?? operator).headers, ...(options.body === undefined ? {} : { "content-type": "application/json" }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const response = await (handler as Handler)(request, { params: Promise.resolve({ id: String(options.id ?? 0) }) });
  return { status: response.status, json: (await response.json()) as T };
}

const createPlan = (body: unknown, user?: TestUser) => call(createRoute, "/plans", { body, user });
const getPlan = (id: number) => call(getPlanRoute, `/plans/${id}`, { id });
const send = (id: number, confirm: unknown, user?: TestUser) => call(sendRoute, `/plans/${id}/send`, { id, body: { confirm }, user });

let phoneCounter = 0;
/** Stores failures as Treble would deliver them; returns each one's cellphone. */
async function ingest(n: number, fields: { reason: string; template: string; poll?: string | null; minutesAgo?: number; at?: number; cellphones?: string[] }): Promise<string[]> {
  const cellphones = fields.cellphones ?? Array.from({ length: n }, () => String(3000000000 + ++phoneCounter));
  const at = fields.at ?? NOW - (fields.minutesAgo ?? 60) * 60_000;
  const events = cellphones.map((cellphone) => {
    const event = failureEvent({
      timestamp: new Date(at).toISOString(),
      failure_reason: fields.reason,
      hsm: { name: fields.template },
      user: { country_code: "57", cellphone },
      poll_id: fields.poll === undefined ? "poll-1" : fields.poll,
      user_session_keys: [
        { key: "name", value: `Client ${cellphone}` },
        { key: "deployment_squad", value: "DS_573001112233" },
      ],
    });
    if (fields.poll === null) delete event.poll_id;
    return prepareEvent(event, JSON.stringify(event), Date.now());
  });
  await commitEventsTo(getEngine(), events);
  return cellphones;
}

async function waitForStatus(id: number, statuses: string[], timeoutMs = 15_000): Promise<PlanDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await getPlan(id);
    if (statuses.includes(json.status)) return json;
    if (Date.now() > deadline) throw new Error(`plan #${id} stayed ${json.status}: ${JSON.stringify(json.batches)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first column of a query's rows. */
const column = async <T = unknown>(sql: string, params: Array<string | number> = []) => (await getEngine().query<Record<string, T>>(sql, params)).map((row) => Object.values(row)[0]!);

const callsFor = (from: number) => fake.calls.slice(from);
const sentPhones = (from = 0) => callsFor(from).filter((c) => c.status === 200).flatMap((c) => c.users.map((u) => u.cellphone));

describe.each(ENGINES)("re-deployment on %s", (name) => {
  beforeAll(async () => {
    await databases.use(name);
    fake.reset();
    admin = await createTestUser("admin");
    operator = await createTestUser("operator");
    viewer = await createTestUser("viewer");
    worker = startRedeployWorker({ pollMs: 50 });
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(() => worker.stop());

  describe("availability and access", () => {
    it("viewers get 403 on every route", async () => {
      expect((await call(listRoute, "/plans", { user: viewer })).status).toBe(403);
      expect((await createPlan({ incidentId: 1 }, viewer)).status).toBe(403);
      expect((await send(1, 1, viewer)).status).toBe(403);
      expect((await call(patchSettingsRoute, "/settings", { method: "PATCH", body: { enabled: false }, user: operator })).status).toBe(403);
    });

    it("without an API key, creating a plan is a 409 saying so", async () => {
      const answer = await createPlan({ filter: {} });
      expect(answer.status).toBe(409);
      expect(JSON.stringify(answer.json)).toContain("No Treble API key");
    });

    it("an admin stores the key encrypted at rest; it is shown masked", async () => {
      const answer = await call(patchSettingsRoute, "/settings", { method: "PATCH", body: { apiKey: fake.apiKey }, user: admin });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ enabled: true, apiKey: { source: "settings", masked: "ak_…3210" } });
      const stored = (await column<string>("SELECT value FROM settings WHERE key = 'treble_api_key'"))[0]!;
      expect(stored).not.toContain(fake.apiKey);
      expect(stored).not.toContain("9f8e7d6c");
      const shown = await call(getSettingsRoute, "/settings");
      expect(JSON.stringify(shown.json)).not.toContain(fake.apiKey);
      const audit = await column("SELECT detail FROM audit_log WHERE action = 'redeploy_settings_changed'");
      expect(audit).toEqual(["API key set (ak_…3210)"]);
    });

    it("when an admin disables the feature, create and send answer 409", async () => {
      await call(patchSettingsRoute, "/settings", { method: "PATCH", body: { enabled: false }, user: admin });
      const answer = await createPlan({ filter: {} });
      expect(answer.status).toBe(409);
      expect(JSON.stringify(answer.json)).toContain("disabled by an admin");
      await call(patchSettingsRoute, "/settings", { method: "PATCH", body: { enabled: true }, user: admin });
      expect((await createPlan({ filter: { template: "nothing-here" } })).status).toBe(201);
    });
  });

  describe("a plan from a filter: dry run, batching, safety", () => {
    let planId: number;
    let dnc: string[];
    let expectedA: string[];
    let expectedB: string[];

    beforeAll(async () => {
      // camp_a: 1,203 contacts of poll-A and 7 of poll-B whose latest failure is "retry later"…
      expectedA = await ingest(1203, { reason: "FAILURE_BY_TIER_CAPACITY", template: "camp_a", poll: "poll-A" });
      expectedB = await ingest(7, { reason: "FAILURE", template: "camp_a", poll: "poll-B" });
      // …12 of them got a "do not contact" failure elsewhere, long ago (any filter, any time)…
      dnc = expectedA.slice(0, 12);
      await ingest(12, { reason: "FAILURE_BY_OPTOUT_CONTACT", template: "other", cellphones: dnc, minutesAgo: 60 * 24 * 300 });
      // …4 failed without a poll_id, 5 with "fix then retry" (not included), 3 whose latest failure is "do not contact".
      await ingest(4, { reason: "FAILURE", template: "camp_a", poll: null });
      await ingest(5, { reason: "MISSING_PARAMETER", template: "camp_a", poll: "poll-A" });
      const later = await ingest(3, { reason: "FAILURE", template: "camp_a", poll: "poll-A", minutesAgo: 90 });
      await ingest(3, { reason: "INVALID_PHONE", template: "camp_a", cellphones: later, minutesAgo: 30 });
    }, 60_000); // 1,237 failures committed: may take longer than a hook's default 10 s on a busy machine

    it("the dry run counts exactly who would be sent, per poll, reason and line, with a sample", async () => {
      const answer = await createPlan({ filter: { template: "camp_a", range: "24h" }, include: ["retry_later"], sendAt: "now" });
      expect(answer.status).toBe(201);
      const plan = answer.json;
      planId = plan.id;
      expect(plan).toMatchObject({
        status: "draft",
        contacts: 1203 - 12 + 7,
        withoutPoll: 4,
        excluded: { doNotContact: 12, alreadyRetried: 0 },
        byPoll: [
          { pollId: "poll-A", contacts: 1191, batches: 3 },
          { pollId: "poll-B", contacts: 7, batches: 1 },
        ],
        byReason: [
          { reason: "FAILURE_BY_TIER_CAPACITY", contacts: 1191 },
          { reason: "FAILURE", contacts: 7 },
        ],
        byLine: [{ line: "+573001112233", contacts: 1198 }],
      });
      expect(plan.sample).toHaveLength(20);
      expect(plan.withoutPollSample).toHaveLength(4);
      expect(plan.batches.map((b) => b.size)).toEqual([500, 500, 191, 7]);
      expect(plan.batches.every((b) => b.status === "pending")).toBe(true);
    });

    it("sending needs the count typed: anything else is a 400 and sends nothing", async () => {
      const wrong = await send(planId, 1197);
      expect(wrong.status).toBe(400);
      expect(JSON.stringify(wrong.json)).toContain("1198");
      expect((await send(planId, "1198")).status).toBe(400);
      expect((await getPlan(planId)).json.status).toBe("draft");
      expect(fake.calls).toHaveLength(0);
    });

    it("sends ≤ 500 users per call, exactly the dry run's contacts, none suppressed, as Treble documents", async () => {
      const answer = await send(planId, 1198);
      expect(answer.status).toBe(202);
      expect(answer.json.status).toBe("sending");
      const plan = await waitForStatus(planId, ["done", "failed"]);
      expect(plan.status).toBe("done");
      expect(fake.calls).toHaveLength(4);
      for (const c of fake.calls) {
        expect(c.authorization).toBe(fake.apiKey); // the raw key, no "Bearer"
        expect(c.path).toBe(`/deployment/api/poll/${c.pollId}`);
        expect(c.users.length).toBeLessThanOrEqual(500);
        expect(c.status).toBe(200);
      }
      const phones = sentPhones();
      expect(new Set(phones).size).toBe(phones.length);
      expect(phones.sort()).toEqual([...expectedA.slice(12), ...expectedB].sort());
      for (const d of dnc) expect(phones).not.toContain(d);
      // Per poll, what was sent equals the dry run.
      const perPoll = (poll: string) => fake.calls.filter((c) => c.pollId === poll).reduce((n, c) => n + c.users.length, 0);
      expect(perPoll("poll-A")).toBe(1191);
      expect(perPoll("poll-B")).toBe(7);
      const user = fake.calls[0]!.users[0]!;
      expect(user.country_code).toBe("+57");
      expect(user.user_session_keys).toContainEqual({ key: "deployment_squad", value: "DS_573001112233" });
      expect(user.user_session_keys).toContainEqual({ key: "name", value: `Client ${user.cellphone}` });
      expect(user.deployment_eta).toBeUndefined();
      expect(plan.progress).toMatchObject({ batches: 4, contactsSent: 1198, byStatus: { sent: 4 } });
      expect(plan.batches[0]).toMatchObject({ status: "sent", id: "dep_1", batchId: "batch_1", httpStatus: 200 });
      expect(plan.batches[0]!.conversationsId).toHaveLength(500);
      const audit = await column("SELECT action FROM audit_log WHERE target = ? ORDER BY id", [`plan #${planId}`]);
      expect(audit).toEqual(["redeploy_plan_created", "redeploy_plan_sent"]);
    });

    it("a contact is never re-deployed twice for the same failure: a new plan of the same view holds nobody", async () => {
      const again = await createPlan({ filter: { template: "camp_a", range: "24h" }, include: ["retry_later"] });
      expect(again.json).toMatchObject({ contacts: 0, excluded: { doNotContact: 12, alreadyRetried: 1198 } });
      expect((await send(again.json.id, 0)).status).toBe(409);
    });

    it("failures that arrive later for re-deployed contacts link back to the plan, by reason", async () => {
      await ingest(2, { reason: "FAILURE_BY_TIER_CAPACITY", template: "camp_a", poll: "poll-A", at: Date.now() + 1000, cellphones: expectedA.slice(20, 22) });
      await ingest(1, { reason: "INVALID_PHONE", template: "camp_a", poll: "poll-A", at: Date.now() + 1000, cellphones: [expectedB[0]!] });
      // A contact that was not in the plan is not linked.
      await ingest(1, { reason: "FAILURE", template: "camp_a", poll: "poll-A", at: Date.now() + 1000 });
      const plan = (await getPlan(planId)).json;
      expect(plan.followUp).toMatchObject({
        contacts: 3,
        failures: 3,
        byReason: [
          { reason: "FAILURE_BY_TIER_CAPACITY", contacts: 2 },
          { reason: "INVALID_PHONE", contacts: 1 },
        ],
      });
    });

    it("fix-then-retry contacts are included only when the operator says so; the send time can wait out the 24 h window", async () => {
      const plan = (await createPlan({ filter: { template: "camp_a" }, include: ["fix_then_retry"], sendAt: "earliest", line: "+57 300 999 8877" })).json;
      expect(plan).toMatchObject({ contacts: 5, byReason: [{ reason: "MISSING_PARAMETER", contacts: 5 }], byLine: [{ line: "+573009998877", contacts: 5 }] });
      expect(plan.sample[0]!.eta).toBeNull(); // nothing to wait for: missing parameters are fixed now
      const tier = await ingest(2, { reason: "FAILURE_BY_TIER_CAPACITY", template: "camp_eta", poll: "poll-E", minutesAgo: 120 });
      const eta = (await createPlan({ filter: { template: "camp_eta" }, sendAt: "earliest" })).json;
      expect(eta.contacts).toBe(2);
      const expected = Math.ceil((NOW - 120 * 60_000 + 24 * 3_600_000) / 1000);
      const before = fake.calls.length;
      expect((await send(eta.id, 2)).status).toBe(202);
      await waitForStatus(eta.id, ["done"]);
      const sent = callsFor(before).flatMap((c) => c.users);
      expect(sent.map((u) => u.cellphone).sort()).toEqual(tier.sort());
      expect(sent.every((u) => u.deployment_eta === expected)).toBe(true);
    });

    it("two drafts holding the same contacts: only the first one sent goes out", async () => {
      await ingest(3, { reason: "FAILURE", template: "camp_twice", poll: "poll-T" });
      const first = (await createPlan({ filter: { template: "camp_twice" } })).json;
      const second = (await createPlan({ filter: { template: "camp_twice" } })).json;
      expect(first.contacts).toBe(3);
      expect(second.contacts).toBe(3);
      expect((await send(first.id, 3)).status).toBe(202);
      const refused = await send(second.id, 3);
      expect(refused.status).toBe(409);
      expect(JSON.stringify(refused.json)).toContain("re-deployed by another plan");
      expect((await getPlan(second.id)).json.status).toBe("draft");
      await waitForStatus(first.id, ["done"]);
    });

    it('a "do not contact" failure after the dry run blocks the send', async () => {
      const phones = await ingest(2, { reason: "FAILURE", template: "camp_late_dnc", poll: "poll-L" });
      const plan = (await createPlan({ filter: { template: "camp_late_dnc" } })).json;
      await ingest(1, { reason: "FAILURE_BY_BLOCKED_CONTACT", template: "elsewhere", cellphones: [phones[0]!], minutesAgo: 1 });
      const refused = await send(plan.id, 2);
      expect(refused.status).toBe(409);
      expect(JSON.stringify(refused.json)).toContain("do not contact");
    });

    it(`more than REDEPLOY_MAX_CONTACTS contacts is refused with the number`, async () => {
      await ingest(1501, { reason: "FAILURE", template: "camp_big", poll: "poll-big" });
      const answer = await createPlan({ filter: { template: "camp_big" } });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: { code: "too_many_contacts" } });
      expect(JSON.stringify(answer.json)).toContain("1501");
    });
  });

  describe("plans from an incident, and cancelling", () => {
    it("an incident's plan holds its retryable contacts; an unknown incident is a 404", async () => {
      await ingest(4, { reason: "FAILURE_BY_HUMAN_HANDOVER", template: "camp_incident", poll: "poll-I" });
      const incidentId = (await column<number>("SELECT id FROM incidents WHERE template_key = 'camp_incident'"))[0]!;
      const plan = (await createPlan({ incidentId })).json;
      expect(plan).toMatchObject({ status: "draft", contacts: 4, source: { incidentId } });
      expect((await createPlan({ incidentId: 999999 })).status).toBe(404);

      const cancelled = await call(cancelRoute, `/plans/${plan.id}/cancel`, { id: plan.id, body: {} });
      expect(cancelled.json).toMatchObject({ status: "cancelled" });
      expect(cancelled.json.batches.every((b) => b.status === "not_sent")).toBe(true);
      const again = await call(cancelRoute, `/plans/${plan.id}/cancel`, { id: plan.id, body: {} });
      expect(again.status).toBe(409);
      expect((await send(plan.id, 4)).status).toBe(409);
      // Its contacts were never sent, so a new plan may take them.
      expect((await createPlan({ incidentId })).json.contacts).toBe(4);
    });

    it("bad input names the field", async () => {
      const answer = await createPlan({ filter: { template: "x" }, include: ["do_not_contact"] });
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.json)).toContain("include");
      expect((await createPlan({ filter: { range: "2y" } })).status).toBe(400);
      expect((await createPlan({ filter: {}, incidentId: 1 })).status).toBe(400);
    });
  });

  describe("pausing and resuming", () => {
    it("a pause lets the call in flight finish and sends nothing more until resumed", async () => {
      await ingest(501, { reason: "FAILURE", template: "camp_pause", poll: "poll-P" });
      const plan = (await createPlan({ filter: { template: "camp_pause" } })).json;
      const before = fake.calls.length;
      fake.behave(() => ({ okAfterMs: 400 }));
      await send(plan.id, 501);
      await fake.waitForCalls(before + 1);
      const paused = await call(pauseRoute, `/plans/${plan.id}/pause`, { id: plan.id, body: {} });
      expect(paused.json).toMatchObject({ status: "paused" });
      await new Promise((r) => setTimeout(r, 800));
      expect(callsFor(before)).toHaveLength(1);
      const mid = (await getPlan(plan.id)).json;
      expect(mid.batches.map((b) => b.status)).toEqual(["sent", "pending"]);
      expect(mid.progress.contactsSent).toBe(500);
      fake.behave(() => "ok");
      expect((await call(resumeRoute, `/plans/${plan.id}/resume`, { id: plan.id, body: {} })).json.status).toBe("sending");
      expect((await waitForStatus(plan.id, ["done"])).progress.contactsSent).toBe(501);
      expect(callsFor(before).map((c) => c.users.length)).toEqual([500, 1]);
      const audit = await column("SELECT action FROM audit_log WHERE target = ? ORDER BY id", [`plan #${plan.id}`]);
      expect(audit).toEqual(["redeploy_plan_created", "redeploy_plan_sent", "redeploy_plan_paused", "redeploy_plan_resumed"]);
    });
  });

  describe("Treble answering errors", () => {
    it("429 → backs off (Retry-After) and retries the same batch", async () => {
      await ingest(3, { reason: "FAILURE", template: "camp_429", poll: "poll-429" });
      const plan = (await createPlan({ filter: { template: "camp_429" } })).json;
      const before = fake.calls.length;
      fake.behave((n) => (n === before + 1 ? { status: 429, headers: { "retry-after": "1" }, body: { error: "Too Many Requests", message: "slow down" } } : "ok"));
      await send(plan.id, 3);
      const done = await waitForStatus(plan.id, ["done", "failed"]);
      fake.behave(() => "ok");
      expect(done.status).toBe("done");
      const calls = callsFor(before);
      expect(calls.map((c) => c.status)).toEqual([429, 200]);
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
      expect(done.batches[0]).toMatchObject({ status: "sent", attempts: 2 });
    });

    it("5xx every time → gives the batch up after the attempts, and the plan fails saying so", async () => {
      expect(MAX_ATTEMPTS).toBeGreaterThan(1);
      await ingest(2, { reason: "FAILURE", template: "camp_500", poll: "poll-500" });
      const plan = (await createPlan({ filter: { template: "camp_500" } })).json;
      const before = fake.calls.length;
      // Retry-After 0 keeps the test short; the count of attempts is what matters.
      fake.behave(() => ({ status: 503, headers: { "retry-after": "0" }, body: { error: "Service Unavailable", message: "try later" } }));
      await send(plan.id, 2);
      const failed = await waitForStatus(plan.id, ["failed"]);
      fake.behave(() => "ok");
      expect(callsFor(before)).toHaveLength(MAX_ATTEMPTS);
      expect(failed.batches[0]).toMatchObject({ status: "failed", httpStatus: 503 });
      expect(failed.error).toContain("1 of 1 batches were not delivered");
    });

    it("401 → the plan fails with a clear message and no further batch is sent", async () => {
      await ingest(501, { reason: "FAILURE", template: "camp_401", poll: "poll-401" });
      const plan = (await createPlan({ filter: { template: "camp_401" } })).json;
      expect(plan.batches).toHaveLength(2);
      const before = fake.calls.length;
      fake.behave((n, c) => (c.authorization === fake.apiKey ? { status: 401, body: { error: "Unauthorized", message: "Invalid API key" } } : "ok"));
      await send(plan.id, 501);
      const failed = await waitForStatus(plan.id, ["failed"]);
      fake.behave(() => "ok");
      expect(callsFor(before)).toHaveLength(1);
      expect(failed.error).toMatch(/Treble refused the API key \(401: Unauthorized: Invalid API key\)/);
      expect(failed.batches.map((b) => b.status)).toEqual(["failed", "not_sent"]);
    });

    it("no answer → that batch is never re-sent, the plan pauses; resuming sends the rest", async () => {
      await ingest(501, { reason: "FAILURE", template: "camp_hang", poll: "poll-hang" });
      const plan = (await createPlan({ filter: { template: "camp_hang" } })).json;
      const before = fake.calls.length;
      fake.behave((n) => (n === before + 1 ? "hang" : "ok"));
      await send(plan.id, 501);
      const paused = await waitForStatus(plan.id, ["paused"]);
      expect(paused.error).toContain("did not answer");
      expect(paused.batches.map((b) => b.status)).toEqual(["unknown", "pending"]);
      expect((await call(resumeRoute, `/plans/${plan.id}/resume`, { id: plan.id, body: {} })).json.status).toBe("sending");
      const ended = await waitForStatus(plan.id, ["failed"]);
      expect(ended.batches.map((b) => b.status)).toEqual(["unknown", "sent"]);
      expect(callsFor(before).map((c) => c.users.length)).toEqual([500, 1]);
      expect(ended.error).toContain("unknown outcome");
    });
  });
});
