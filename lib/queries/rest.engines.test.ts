import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { GET as listQuarantined } from "@/app/api/events/quarantined/route";
import { POST as sendPlan } from "@/app/api/redeploy/plans/[id]/send/route";
import { POST as createPlan } from "@/app/api/redeploy/plans/route";
import { GET as listSessions } from "@/app/api/sessions/route";
import { GET as statusHistory } from "@/app/api/templates/[template]/status-history/route";
import { GET as unavailableTemplates } from "@/app/api/templates/unavailable/route";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import type { PreparedEvent } from "@/lib/ingest/store";
import { runRead } from "@/lib/read/pool";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DAY, HOUR, failureDataset } from "@/lib/testing/failure-dataset";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";

// The read path's remaining small reads on both engines, through their routes: closed sessions,
// template statuses, quarantined events, "any event yet", and a re-deployment plan's contact
// selection. The same events go into each engine; each answer must equal plain SQL on that
// engine, and PostgreSQL's must equal SQLite's.
const databases = setupEngineDatabases({
  WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  WEBHOOK_SIGNING_SECRET: undefined,
  TREBLE_API_KEY: "ak_test_0123456789abcdef",
  LOG_LEVEL: "silent",
});
afterAll(() => databases.cleanup());

const NOW = Date.now();
const [L1, L2] = DATASET_LINES;
const prepared = (event: Record<string, unknown>, receivedAt = NOW) => prepareEvent(event, JSON.stringify(event), receivedAt);

/** Sessions closed over three days on two lines, some without a template, several closed at the same instant (ids break the tie). */
function sessionCloses(): PreparedEvent[] {
  return Array.from({ length: 40 }, (_, i) => {
    const closedAt = NOW - (i % 7 === 0 ? 5 * HOUR : (i * 97 * 60_000) % (3 * DAY));
    return prepared({
      event_type: "session.close",
      event_id: nextEventId("session"),
      session: { external_id: i % 5 === 0 ? null : `conv-${i}`, closed_at: new Date(closedAt).toISOString() },
      user: i % 6 === 0 ? { cellphone: `30${i}` } : { country_code: "57", cellphone: String(3051000000 + i) },
      company: { id: 1, cellphone: (i % 3 === 0 ? L2 : L1)!.slice(1) },
      hsm: i % 4 === 0 ? null : { name: i % 2 ? "welcome_v2" : "promo_nov" },
      messages: Array.from({ length: i % 3 }, () => ({ text: "hola" })),
    });
  });
}

/** Status changes of four templates; two statuses of "tie" share an instant. */
function templateStatuses(): PreparedEvent[] {
  const status = (name: string, value: string, hoursAgo: number, affected?: Array<number | string>) =>
    prepared({
      event_type: "hsm.status",
      event_id: nextEventId("hsm"),
      timestamp: new Date(NOW - hoursAgo * HOUR).toISOString(),
      name,
      status: value,
      ...(affected ? { affected_conversation_ids: affected } : {}),
    });
  return [
    status("promo_nov", "APPROVED", 50),
    status("promo_nov", "PAUSED", 3, [12345, "c-678"]),
    status("welcome_v2", "DISABLED", 20, []),
    status("welcome_v2", "APPROVED", 2),
    status("legacy", "REJECTED", 70),
    status("tie", "APPROVED", 10),
    status("tie", "DISABLED", 10),
    status("fresh", "APPROVED", 1),
  ];
}

/** Events quarantined for their problems, each with a text of its own. */
const MALFORMED_TEXTS = Array.from({ length: 7 }, (_, i) =>
  i % 2 ? `{"event_type":"deployment.failure","event_id":"broken-${i}","timestamp":"not a time"}` : `{"event_type":"hsm.status","n":${i}}`,
);
const malformed = () => MALFORMED_TEXTS.map((text) => prepareEvent(JSON.parse(text), text, NOW - HOUR));

const PLAN_TEMPLATE = "rest_plan";
const PLAN_CONTACTS = Array.from({ length: 9 }, (_, i) => String(3109000000 + i));
/**
 * A re-deployment view with one contact of each kind: five eligible (two polls), one without a
 * poll_id, one that opted out (earlier, elsewhere), one without a country code (no phone to send
 * to), one whose latest failure is to be fixed first (not of the class re-deployed by default).
 */
function planFailures(): PreparedEvent[] {
  const failure = (cellphone: string, fields: Record<string, unknown>, minutesAgo = 30) =>
    prepared(failureEvent({ timestamp: new Date(NOW - minutesAgo * 60_000).toISOString(), hsm: { name: PLAN_TEMPLATE }, user: { country_code: "57", cellphone }, ...fields }));
  const [a, b, c, d, e, noPoll, optedOut, noCountry, notRetryable] = PLAN_CONTACTS as [string, string, string, string, string, string, string, string, string];
  const noPollEvent = failureEvent({ timestamp: new Date(NOW - 20 * 60_000).toISOString(), hsm: { name: PLAN_TEMPLATE }, user: { country_code: "57", cellphone: noPoll } });
  delete noPollEvent.poll_id;
  return [
    ...[a, b, c].map((p, i) => failure(p, { poll_id: "poll-R1", user_session_keys: [{ key: "name", value: `Client ${p}` }] }, 30 + i)),
    ...[d, e].map((p) => failure(p, { poll_id: "poll-R2", failure_reason: "FAILURE_BY_RATE_LIMIT" }, 40)),
    prepared(noPollEvent),
    failure(optedOut, { failure_reason: "FAILURE_BY_OPTOUT_CONTACT", hsm: { name: "elsewhere" } }, 600),
    failure(optedOut, {}),
    prepared(failureEvent({ timestamp: new Date(NOW - 25 * 60_000).toISOString(), hsm: { name: PLAN_TEMPLATE }, user: { cellphone: noCountry } })),
    failure(notRetryable, {}, 90),
    failure(notRetryable, { failure_reason: "MISSING_PARAMETER" }, 10),
  ];
}

// Built once: both engines get exactly these events, in this order.
const EVENTS: PreparedEvent[] = [...failureDataset({ now: NOW, seed: 31, count: 500 }).prepared, ...sessionCloses(), ...templateStatuses(), ...malformed(), ...planFailures()];

async function call(handler: (request: Request, context: never) => Promise<Response>, user: TestUser, path: string, init: { method?: string; body?: unknown; context?: unknown } = {}) {
  const request = new Request(`http://localhost:3000${path}`, {
    method: init.method ?? "GET",
    headers: { ...user.headers, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const response = await handler(request, init.context as never);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Every page of a keyset list, following its cursors. */
async function allPages<T>(page: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null; total: number }>): Promise<{ items: T[]; pages: number; total: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  let total = 0;
  do {
    const answer = await page(cursor);
    items.push(...answer.items);
    total = answer.total;
    cursor = answer.nextCursor;
    pages++;
  } while (cursor);
  return { items, pages, total };
}

interface Session {
  id: number;
  closedAt: string;
  line: string | null;
  template: string | null;
}

/** What each engine answered, to compare PostgreSQL's with SQLite's. */
const answers = new Map<string, unknown>();
function sameOnBothEngines(name: string, key: string, answer: unknown): void {
  if (name === "sqlite") answers.set(key, answer);
  else expect(answer).toEqual(answers.get(key));
}

describe.each(ENGINES)("the read path's small reads on %s", (name) => {
  let engine: Engine;
  let viewer: TestUser;
  let admin: TestUser;
  let operator: TestUser;
  const rows = <T>(sql: string, params: Param[] = []) => engine.query<T>(sql, params);

  beforeAll(async () => {
    engine = await databases.use(name);
    viewer = await createTestUser("viewer");
    admin = await createTestUser("admin");
    operator = await createTestUser("operator");
    expect(await runRead("hasReceivedEvents", undefined)).toBe(false);
    const committed = await commitEventsTo(engine, EVENTS);
    expect(committed).toEqual({ accepted: EVENTS.length - MALFORMED_TEXTS.length, duplicates: 0, quarantined: MALFORMED_TEXTS.length });
  }, CLUSTER_START_TIMEOUT_MS);

  it("says events were received", async () => {
    expect(await runRead("hasReceivedEvents", undefined)).toBe(true);
  });

  it.each([
    ["every session of 7 days", 7 * DAY, "", 4],
    ["one line over 24 hours", DAY, `line=${encodeURIComponent(L1!)}`, 3],
    ["a template or none on two lines", 7 * DAY, `template=welcome_v2,(unknown)&line=${encodeURIComponent(`${L1},${L2}`)}`, 5],
  ])("GET /api/sessions pages %s newest first, as plain SQL orders them", async (_what, span, filter, limit) => {
    const from = NOW - span;
    const query = `from=${new Date(from).toISOString()}&to=${new Date(NOW + 1).toISOString()}&${filter}`;
    const listed = await allPages(async (cursor) => {
      const answer = await call(listSessions, viewer, `/api/sessions?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(answer.status).toBe(200);
      return answer.json as { items: Session[]; nextCursor: string | null; total: number };
    });
    const params = new URLSearchParams(filter);
    const lines = params.get("line")?.split(",") ?? [];
    const templates = (params.get("template")?.split(",") ?? []).map((t) => (t === "(unknown)" ? "" : t));
    const expected = await rows<{ id: number }>(
      `SELECT id FROM closed_sessions WHERE closed_at >= ? AND closed_at < ?
         ${lines.length ? `AND line IN (${lines.map(() => "?").join(", ")})` : ""} ${templates.length ? `AND template IN (${templates.map(() => "?").join(", ")})` : ""}
       ORDER BY closed_at DESC, id DESC`,
      [from, NOW + 1, ...lines, ...templates],
    );
    expect(expected.length).toBeGreaterThan(limit);
    expect(listed.items.map((s) => s.id)).toEqual(expected.map((r) => r.id));
    expect(listed.total).toBe(expected.length);
    expect(listed.pages).toBe(Math.ceil(expected.length / limit));
    sameOnBothEngines(name, `sessions ${query}`, listed);
  });

  it("GET /api/sessions describes each session as it was sent", async () => {
    const answer = (await call(listSessions, viewer, "/api/sessions?range=7d&limit=500")).json as { items: Array<Record<string, unknown>> };
    expect(answer.items).toHaveLength(40);
    expect(answer.items).toContainEqual(expect.objectContaining({ externalId: null, template: null, countryCode: null, phoneE164: null, messageCount: 0 }));
    expect(answer.items).toContainEqual(
      expect.objectContaining({ externalId: "conv-1", line: L1, template: "welcome_v2", countryCode: "57", cellphone: "3051000001", phoneE164: "+573051000001", messageCount: 1 }),
    );
    sameOnBothEngines(name, "sessions described", answer);
  });

  it("GET /api/templates/unavailable lists the templates whose latest status is unavailable, most recent first", async () => {
    const answer = await call(unavailableTemplates, viewer, "/api/templates/unavailable");
    expect(answer.status).toBe(200);
    // Plain SQL: every status change, the latest of each template (by event time, then id) in JS.
    const changes = await rows<{ id: number; template: string; status: string; occurred_at: number }>("SELECT id, template, status, occurred_at FROM template_status_events");
    const latest = new Map<string, (typeof changes)[number]>();
    for (const c of changes.sort((x, y) => x.occurred_at - y.occurred_at || x.id - y.id)) latest.set(c.template, c);
    const expected = [...latest.values()]
      .filter((c) => ["PAUSED", "DISABLED", "REJECTED"].includes(c.status))
      .sort((x, y) => y.occurred_at - x.occurred_at || y.id - x.id)
      .map((c) => ({ template: c.template, status: c.status, since: new Date(c.occurred_at).toISOString() }));
    expect(answer.json.items).toEqual(expected);
    expect(expected.map((t) => t.template)).toEqual(["promo_nov", "tie", "legacy"]);
    sameOnBothEngines(name, "unavailable", answer.json);
  });

  it.each(["promo_nov", "welcome_v2", "tie", "nobody"])("GET /api/templates/%s/status-history lists its changes oldest first", async (template) => {
    const answer = await call(statusHistory, viewer, `/api/templates/${template}/status-history`, { context: { params: Promise.resolve({ template }) } });
    expect(answer.status).toBe(200);
    const expected = await rows<{ status: string; occurred_at: number; received_at: number; affected_conversation_ids: string | null }>(
      "SELECT status, occurred_at, received_at, affected_conversation_ids FROM template_status_events WHERE template = ? ORDER BY occurred_at, id",
      [template],
    );
    expect(answer.json.items).toEqual(
      expected.map((r) => ({
        template,
        status: r.status,
        at: new Date(r.occurred_at).toISOString(),
        receivedAt: new Date(r.received_at).toISOString(),
        affectedConversationIds: r.affected_conversation_ids === null ? null : JSON.parse(r.affected_conversation_ids),
      })),
    );
    if (template === "promo_nov") expect((answer.json.items as Array<{ affectedConversationIds: unknown }>).map((c) => c.affectedConversationIds)).toEqual([null, [12345, "c-678"]]);
    sameOnBothEngines(name, `history ${template}`, answer.json);
  });

  it("GET /api/events/quarantined pages the quarantined events newest first, each exactly as received, and the banner counts them", async () => {
    const listed = await allPages(async (cursor) => {
      const answer = await call(listQuarantined, admin, `/api/events/quarantined?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(answer.status).toBe(200);
      return answer.json as { items: Array<{ id: number; payload: string; eventType: string | null; problems: unknown[] }>; nextCursor: string | null; total: number };
    });
    const expected = await rows<{ id: number }>("SELECT id FROM raw_events WHERE problems IS NOT NULL ORDER BY id DESC");
    expect(listed.items.map((e) => e.id)).toEqual(expected.map((r) => r.id));
    expect(listed.pages).toBe(3);
    expect(listed.total).toBe(MALFORMED_TEXTS.length);
    // Stored compressed (bytea on PostgreSQL, a blob on SQLite), read back as sent.
    expect(listed.items.map((e) => e.payload)).toEqual([...MALFORMED_TEXTS].reverse());
    expect(listed.items.every((e) => e.problems.length > 0)).toBe(true);
    expect(await runRead("quarantineCount", undefined)).toBe(MALFORMED_TEXTS.length);
    sameOnBothEngines(name, "quarantined", listed);
  });

  describe("a re-deployment plan's contact selection", () => {
    const filter = { template: PLAN_TEMPLATE, range: "24h" };
    const create = async (body: unknown) => call(createPlan, operator, "/api/redeploy/plans", { method: "POST", body });

    it("holds each contact's latest failure of an included class, minus do-not-contact and contacts without a phone; contacts without a poll apart", async () => {
      const answer = await create({ filter, include: ["retry_later"] });
      expect(answer.status).toBe(201);
      const plan = answer.json as { contacts: number; withoutPoll: number; excluded: Record<string, number>; sample: Array<{ cellphone: string }>; withoutPollSample: Array<{ cellphone: string }> };
      expect(plan).toMatchObject({ contacts: 5, withoutPoll: 1, excluded: { doNotContact: 1, alreadyRetried: 0, noPhone: 1 } });
      // Newest failure first; two failed at the same instant: the later one (by id) first.
      const [a, b, c, d, e] = PLAN_CONTACTS;
      expect(plan.sample.map((s) => s.cellphone)).toEqual([a, b, c, e, d]);
      expect(plan.withoutPollSample.map((s) => s.cellphone)).toEqual([PLAN_CONTACTS[5]]);
      const stored = await rows<{ contact: string; session_keys: string }>("SELECT contact, session_keys FROM redeploy_contacts WHERE plan_id = ? ORDER BY contact", [
        (answer.json as { id: number }).id,
      ]);
      expect(stored).toHaveLength(6);
      // The failure's session keys, stored compressed, decoded on the read path.
      expect(JSON.parse(stored[0]!.session_keys)).toContainEqual({ key: "name", value: `Client ${PLAN_CONTACTS[0]}` });
      sameOnBothEngines(name, "plan kinds", comparable(answer.json));
    });

    it("counts contacts a sent plan already claimed as already retried, from this engine's claims", async () => {
      const first = (await create({ filter })).json as { id: number; contacts: number };
      expect(first.contacts).toBe(5);
      expect((await call(sendPlan, operator, `/api/redeploy/plans/${first.id}/send`, { method: "POST", body: { confirm: 5 }, context: { params: Promise.resolve({ id: String(first.id) }) } })).status).toBe(202);
      const claims = await rows<{ n: number }>("SELECT count(*) AS n FROM redeploy_retried WHERE plan_id = ?", [first.id]);
      expect(claims[0]!.n).toBe(5);
      const again = (await create({ filter })).json;
      expect(again).toMatchObject({ contacts: 0, withoutPoll: 1, excluded: { doNotContact: 1, alreadyRetried: 5, noPhone: 1 } });
      sameOnBothEngines(name, "plan retried", comparable(again));
    });

    it("picks the same contacts from a phone search over the dataset, newest failure first", async () => {
      const answer = await create({ filter: { range: "30d", q: "301" }, include: ["retry_later", "fix_then_retry"] });
      expect(answer.status).toBe(201);
      const plan = answer.json as { contacts: number; sample: Array<{ cellphone: string; failedAt: string }> };
      expect(plan.contacts).toBeGreaterThan(5);
      expect(plan.sample.every((s) => s.cellphone.includes("301"))).toBe(true);
      const times = plan.sample.map((s) => Date.parse(s.failedAt));
      expect(times).toEqual([...times].sort((x, y) => y - x));
      sameOnBothEngines(name, "plan search", comparable(answer.json));
    });
  });
});

/** A plan's answer without what differs between two creations of it (its id and times). */
function comparable(plan: Record<string, unknown>): Record<string, unknown> {
  return { ...plan, id: undefined, createdAt: undefined, createdBy: undefined, updatedAt: undefined };
}
