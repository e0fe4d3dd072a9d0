import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as listChannelsRoute, POST as createChannelRoute } from "@/app/api/alerts/channels/route";
import { DELETE as deleteChannelRoute, PATCH as patchChannelRoute } from "@/app/api/alerts/channels/[id]/route";
import { POST as rotateRoute } from "@/app/api/alerts/channels/[id]/rotate-secret/route";
import { POST as testRoute } from "@/app/api/alerts/channels/[id]/test/route";
import { GET as listDeliveriesRoute } from "@/app/api/alerts/deliveries/route";
import { POST as retryRoute } from "@/app/api/alerts/deliveries/[id]/retry/route";
import { GET as listRulesRoute, POST as createRuleRoute } from "@/app/api/alerts/rules/route";
import { DELETE as deleteRuleRoute, GET as getRuleRoute, PATCH as patchRuleRoute } from "@/app/api/alerts/rules/[id]/route";
import { POST as previewRoute } from "@/app/api/alerts/rules/preview/route";
import { POST as recommendedRoute } from "@/app/api/alerts/rules/recommended/route";
import { getEngine } from "@/db/client";
import { setUserLocale } from "@/lib/i18n/user-locale";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { resolveIncident } from "@/lib/incidents/resolve";
import { setLineLabel } from "@/lib/lines/labels";
import { snoozeIncident } from "@/lib/incidents/snooze";
import { reasonInfo } from "@/lib/reasons";
import { AlertReceiver, MailReceiver, mailHeader, mailPart } from "@/lib/testing/alert-receiver";
import es from "@/messages/es.json";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearDataTables, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { describeCall, expectError } from "@/lib/testing/webhook-client";
import { isWebhookRequest, serveWebhook, WEBHOOK_PATH } from "@/lib/server/webhook-listener";
import { AlertDispatcher } from "./dispatcher";
import { evaluateTimedRules } from "./evaluate";

// Alerts end to end in one process: Treble events through the real webhook listener, the API
// routes called as a script would, the dispatcher sending to real receivers on loopback (an HTTP
// server, an SMTP server), signatures verified with the reference `standardwebhooks` package. Every
// test runs on SQLite and on PostgreSQL, each engine's data emptied before each test.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, PUBLIC_URL: "https://faultline.example.com", SMTP_URL: undefined, ALERTS_FROM: "Faultline <alerts@faultline.example.com>", LOG_LEVEL: "silent" });

const receiver = new AlertReceiver();
const mail = new MailReceiver();
const treble = http.createServer((req, res) => {
  if (isWebhookRequest(req)) void serveWebhook(req, res);
  else res.writeHead(404).end();
});
let trebleOrigin = "";
let admin: TestUser;
let clock = Date.now();
let dispatcher: AlertDispatcher;

beforeAll(async () => {
  await receiver.start();
  await mail.start();
  // Settings are read once, lazily: the SMTP port is known only now.
  process.env.SMTP_URL = `smtp://127.0.0.1:${mail.port}`;
  await new Promise<void>((resolve) => treble.listen(0, "127.0.0.1", resolve));
  trebleOrigin = `http://127.0.0.1:${(treble.address() as AddressInfo).port}`;
});
afterAll(async () => {
  dispatcher?.stop();
  await receiver.stop();
  await mail.stop();
  treble.closeAllConnections();
  await new Promise<void>((resolve) => treble.close(() => resolve()));
  await databases.cleanup();
});

/** A test that waits out a receiver's 10 s delivery timeout, plus room for the suite's load. */
const HANGING_RECEIVER_TEST_TIMEOUT_MS = 40_000;
const BASE = "http://faultline.test:3000";
const req = (path: string, method: string, body?: unknown) =>
  new Request(`${BASE}${path}`, { method, headers: { ...admin.headers, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
const params = <T>(value: T) => ({ params: Promise.resolve(value) });
async function answer(response: Response) {
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

async function sendTreble(events: unknown): Promise<number> {
  const { query, headers, body } = describeCall({ body: events }, TEST_WEBHOOK_SECRET);
  const res = await fetch(`${trebleOrigin}${WEBHOOK_PATH}${query}`, { method: "POST", headers, body });
  await res.arrayBuffer();
  return res.status;
}

async function createChannel(body: Record<string, unknown>) {
  const a = await answer(await createChannelRoute(req("/api/alerts/channels", "POST", body)));
  expect(a.status, JSON.stringify(a.json)).toBe(201);
  return a.json as { id: number; secret?: string };
}

async function createRule(body: Record<string, unknown>) {
  const a = await answer(await createRuleRoute(req("/api/alerts/rules", "POST", { name: "rule", ...body })));
  expect(a.status, JSON.stringify(a.json)).toBe(201);
  return a.json as { id: number };
}

/** One dispatcher pass, waiting until every send it started has been recorded. */
async function dispatch() {
  // The test clock never runs behind real time (rows are written with the real time).
  clock = Math.max(clock, Date.now());
  await dispatcher.tick();
  await dispatcher.idle();
}

interface DeliveryRow {
  id: string;
  status: string;
  type: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  group_id: string | null;
  rule_id: number | null;
  channel_id: number;
}
const deliveries = () => getEngine().query<DeliveryRow>(`SELECT * FROM alert_deliveries ORDER BY created_at, id`);
/** The id of the first incident `sql` selects. */
const incidentIdOf = async (sql: string) => (await getEngine().one<{ id: number }>(sql))!.id;
const json = (body: string) => JSON.parse(body) as Record<string, unknown> & { incident?: Record<string, unknown> };
const isoNow = () => new Date().toISOString();

describe.each(ENGINES)("alerts on %s", (name) => {
  beforeAll(async () => {
    await databases.use(name);
    // The webhook's caches, filled as the server fills them before its port opens.
    await webhookSecretAtStart();
    await readFieldMapping();
    admin = await createTestUser("admin");
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    const engine = getEngine();
    await clearDataTables(engine);
    for (const t of ["alert_deliveries", "alert_rule_state", "alert_rules", "alert_channels", "audit_log"]) await engine.exec(`DELETE FROM ${t}`);
    // Each engine runs the same paths: what the last test scripted must not answer this one.
    receiver.reset();
    mail.mails.length = 0;
    mail.refuseWith = null;
    clock = Date.now();
    dispatcher = new AlertDispatcher(engine, { now: () => clock });
  });

  describe("channels API", () => {
    it("creates a webhook channel with its secret once, masks URLs, tests it with a signed request, rotates the secret", async () => {
      const channel = await createChannel({ type: "webhook", name: "Ops hook", url: receiver.url("/hook?key=supersecret") });
      expect(channel.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
      const list = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<Record<string, unknown>>;
      expect(list).toHaveLength(1);
      expect(JSON.stringify(list)).not.toContain("supersecret");
      expect(JSON.stringify(list)).not.toContain("whsec_");
      expect(list[0]).toMatchObject({ name: "Ops hook", type: "webhook", enabled: true, lastSuccessAt: null, lastError: null });

      const tested = await answer(await testRoute(req(`/api/alerts/channels/${channel.id}/test`, "POST"), params({ id: String(channel.id) })));
      expect(tested).toMatchObject({ status: 200, json: { ok: true, status: 200 } });
      const got = receiver.on("/hook?key=supersecret")[0]!;
      const verified = new Webhook(channel.secret!).verify(got.body, got.headers) as Record<string, unknown>;
      expect(verified).toMatchObject({ id: got.headers["webhook-id"], type: "test", rule: null });
      expect(got.headers["webhook-id"]).toMatch(/^msg_/);

      const rotated = (await answer(await rotateRoute(req(`/api/alerts/channels/${channel.id}/rotate-secret`, "POST"), params({ id: String(channel.id) })))).json;
      expect(rotated.secret).not.toBe(channel.secret);
      await testRoute(req(`/api/alerts/channels/${channel.id}/test`, "POST"), params({ id: String(channel.id) }));
      const second = receiver.on("/hook?key=supersecret")[1]!;
      expect(() => new Webhook(channel.secret!).verify(second.body, second.headers)).toThrow();
      expect(new Webhook(rotated.secret as string).verify(second.body, second.headers)).toMatchObject({ type: "test" });

      const after = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<Record<string, unknown>>;
      expect(after[0]!.lastSuccessAt).not.toBeNull();
    });

    it("answers 502 delivery_failed when the receiver refuses a test, and shows the last error", async () => {
      receiver.setDefault("/refuses", { status: 500 });
      const channel = await createChannel({ type: "slack", name: "Broken", url: receiver.url("/refuses") });
      const failed = expectError(await answer(await testRoute(req(`/api/alerts/channels/${channel.id}/test`, "POST"), params({ id: String(channel.id) }))), 502, "delivery_failed");
      expect(failed.message).toContain("500");
      const list = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<Record<string, unknown>>;
      expect(list[0]!.lastError).toContain("HTTP 500");
    });

    it("refuses invalid channels naming the field, pauses with PATCH and deletes", async () => {
      expect(expectError(await answer(await createChannelRoute(req("/api/alerts/channels", "POST", { type: "slack", name: "x", url: "ftp://nope" }))), 400).details?.[0]?.path).toBe("url");
      expect(expectError(await answer(await createChannelRoute(req("/api/alerts/channels", "POST", { type: "email", name: "x", to: ["not-mail"] }))), 400).details?.[0]?.path).toBe("to.0");
      expectError(await answer(await createChannelRoute(req("/api/alerts/channels", "POST", { type: "pager", name: "x" }))), 400);
      const channel = await createChannel({ type: "teams", name: "Teams", url: receiver.url("/teams") });
      const paused = await answer(await patchChannelRoute(req(`/api/alerts/channels/${channel.id}`, "PATCH", { enabled: false }), params({ id: String(channel.id) })));
      expect(paused.json).toMatchObject({ enabled: false });
      expect((await deleteChannelRoute(req(`/api/alerts/channels/${channel.id}`, "DELETE"), params({ id: String(channel.id) }))).status).toBe(200);
      expectError(await answer(await deleteChannelRoute(req(`/api/alerts/channels/${channel.id}`, "DELETE"), params({ id: String(channel.id) }))), 404);
    });
  });

  describe("channel language", () => {
    it("takes the locale given, else the creating admin's language, else English; PATCH changes it; anything else is a 400 naming locale", async () => {
      expect(await createChannel({ type: "slack", name: "pt", url: receiver.url("/pt"), locale: "pt-BR" })).toMatchObject({ locale: "pt-BR" });
      expect(await createChannel({ type: "slack", name: "default", url: receiver.url("/d") })).toMatchObject({ locale: "en" });
      await setUserLocale(admin.user.id, { locale: "es" });
      try {
        const mine = await createChannel({ type: "email", name: "mine", to: ["ops@example.com"] });
        expect(mine).toMatchObject({ locale: "es" });
        const changed = await answer(await patchChannelRoute(req(`/api/alerts/channels/${mine.id}`, "PATCH", { locale: "pt-BR" }), params({ id: String(mine.id) })));
        expect(changed).toMatchObject({ status: 200, json: { locale: "pt-BR" } });
        const refused = expectError(await answer(await patchChannelRoute(req(`/api/alerts/channels/${mine.id}`, "PATCH", { locale: "pt-PT" }), params({ id: String(mine.id) }))), 400, "invalid_input");
        expect(refused.details?.[0]).toEqual({ path: "locale", message: "must be one of en, es, pt-BR" });
      } finally {
        await setUserLocale(admin.user.id, { locale: null });
      }
      for (const locale of ["fr", "ES", "", null, 3]) {
        const refused = expectError(await answer(await createChannelRoute(req("/api/alerts/channels", "POST", { type: "webhook", name: "x", url: receiver.url("/x"), locale }))), 400, "invalid_input");
        expect(refused.details?.[0]?.path).toBe("locale");
      }
      const listed = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<{ name: string; locale: string }>;
      expect(Object.fromEntries(listed.map((c) => [c.name, c.locale]))).toEqual({ pt: "pt-BR", default: "en", mine: "pt-BR" });
    });

    it("an e-mail channel in Spanish: a real SMTP delivery with the subject, text and HTML in Spanish, the named line and its formatted number", async () => {
      await setLineLabel("+573001112233", { label: "Ventas CO" }, { actor: { id: admin.user.id, email: admin.user.email }, ip: null });
      try {
        const channel = await createChannel({ type: "email", name: "ventas", to: ["ventas@example.com"], locale: "es" });
        await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
        await sendTreble(failureEvent({ timestamp: isoNow(), failure_reason: "FAILURE_BY_DISABLED_HSM", line: "+573001112233", hsm: { name: "promo_nov" } }));
        await dispatch();
        expect((await deliveries())[0]).toMatchObject({ status: "delivered" });
        const raw = mail.mails[0]!.raw;
        const reason = es.reasonCatalogue.FAILURE_BY_DISABLED_HSM;
        expect(mailHeader(raw, "Subject")).toBe(`[Faultline] Nuevo incidente: ${reason.label} (FAILURE_BY_DISABLED_HSM) en línea Ventas CO (+57 300 111 2233), plantilla promo_nov`);
        expect(mailHeader(raw, "Content-Language")).toBe("es");
        const text = mailPart(raw, "text/plain")!;
        expect(text).toContain(`Qué significa: ${reason.meaning}`);
        expect(text).toContain(`Qué hacer: ${reason.action}`);
        expect(text).toContain("Línea: Ventas CO (+57 300 111 2233)");
        expect(text).toContain("Plantilla: promo_nov");
        expect(text).toMatch(/Cuándo: \d{1,2} [a-z]{3,4} \d{4}, \d{2}:\d{2}\sUTC/);
        expect(text).toContain("Abrir en Faultline: https://faultline.example.com/incidents/");
        expect(text).not.toMatch(/What it means|Open in Faultline/);
        const html = mailPart(raw, "text/html")!;
        expect(html).toContain('<html lang="es">');
        expect(html).toContain("<th align=\"left\">Línea</th><td>Ventas CO (+57 300 111 2233)</td>");
      } finally {
        await setLineLabel("+573001112233", { label: null }, { actor: { id: admin.user.id, email: admin.user.email }, ip: null });
      }
    });
  });

  describe("rules API", () => {
    it("creates, reads, changes and deletes rules; invalid bodies name the field", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/h") });
      const rule = await createRule({ trigger: "template_status", channelIds: [channel.id] });
      const read = (await answer(await getRuleRoute(req(`/api/alerts/rules/${rule.id}`, "GET"), params({ id: String(rule.id) })))).json;
      expect(read).toMatchObject({ id: rule.id, trigger: "template_status", templateStatuses: ["PAUSED", "DISABLED", "REJECTED"], repeatMinutes: 60, quietHours: null, enabled: true });
      const patched = (await answer(await patchRuleRoute(req(`/api/alerts/rules/${rule.id}`, "PATCH", { enabled: false, repeatMinutes: 5 }), params({ id: String(rule.id) })))).json;
      expect(patched).toMatchObject({ enabled: false, repeatMinutes: 5, trigger: "template_status" });
      expect(((await answer(await listRulesRoute(req("/api/alerts/rules", "GET")))).json.items as unknown[]).length).toBe(1);

      const bad = async (body: Record<string, unknown>, path: string) => {
        const e = expectError(await answer(await createRuleRoute(req("/api/alerts/rules", "POST", { name: "r", channelIds: [channel.id], ...body }))), 400);
        expect(e.details?.[0]?.path, JSON.stringify(e)).toBe(path);
      };
      await bad({ trigger: "threshold" }, "threshold");
      await bad({ trigger: "nope" }, "trigger");
      await bad({ trigger: "incident_opened", channelIds: [999] }, "channelIds");
      await bad({ trigger: "incident_opened", filter: { class: "sometimes" } }, "filter.class");
      await bad({ trigger: "incident_opened", filter: { line: `+57 310 456 7890,${"x".repeat(65)}` } }, "filter.line");
      await bad({ trigger: "digest", digest: { time: "25:00", tz: "UTC" } }, "digest.time");
      await bad({ trigger: "incident_opened", quietHours: { start: "22:00", end: "07:00", tz: "Mars/Olympus" } }, "quietHours.tz");
      await bad({ trigger: "change", change: { percent: 50, windowMinutes: 0, minCount: 1 } }, "change.windowMinutes");

      expect((await deleteRuleRoute(req(`/api/alerts/rules/${rule.id}`, "DELETE"), params({ id: String(rule.id) }))).status).toBe(200);
      const audit = await getEngine().query<{ action: string; actor_email: string; target: string }>(`SELECT action, actor_email, target FROM audit_log WHERE action LIKE 'alert_%' ORDER BY id`);
      expect(audit.map((a) => a.action)).toEqual(["alert_channel_created", "alert_rule_created", "alert_rule_changed", "alert_rule_deleted"]);
      expect(audit.every((a) => a.actor_email === admin.user.email)).toBe(true);
      expect(audit[1]!.target).toBe(`alert rule #${rule.id} "rule"`);
      expectError(await answer(await getRuleRoute(req(`/api/alerts/rules/${rule.id}`, "GET"), params({ id: String(rule.id) }))), 404);
    });

    it("adds the recommended Treble presets once", async () => {
      const channel = await createChannel({ type: "slack", name: "s", url: receiver.url("/s") });
      const first = await answer(await recommendedRoute(req("/api/alerts/rules/recommended", "POST", { tz: "America/Bogota" })));
      expect(first.status).toBe(201);
      const items = first.json.items as Array<{ trigger: string; filter: { reason?: string }; channelIds: number[]; digest?: { tz: string } }>;
      expect(items.map((r) => r.trigger).sort()).toEqual(["digest", "incident_opened", "template_status", "threshold", "threshold"]);
      expect(items.find((r) => r.trigger === "incident_opened")!.filter.reason).toBe("FAILURE_BY_DISABLED_HSM,FAILURE_BY_SPAM_RATE_LIMIT");
      expect(items.filter((r) => r.trigger === "threshold").map((r) => r.filter.reason).sort()).toEqual(["FAILURE_BY_RATE_LIMIT", "FAILURE_BY_TIER_CAPACITY"]);
      expect(items.find((r) => r.trigger === "digest")!.digest!.tz).toBe("America/Bogota");
      expect(items.every((r) => r.channelIds.join() === String(channel.id))).toBe(true);
      const again = await answer(await recommendedRoute(req("/api/alerts/rules/recommended", "POST", {})));
      expect(again.json.items).toEqual([]);
    });
  });

  describe("ingest triggers (outbox written in the event's transaction)", () => {
    it("incident_opened: a signed webhook with the incident, meaning, action and link; filters respected", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/opened") });
      const rule = await createRule({ name: "Tier capacity", trigger: "incident_opened", channelIds: [channel.id], filter: { reason: "FAILURE_BY_TIER_CAPACITY", line: "+573001112233" } });
      expect(await sendTreble([failureEvent({ timestamp: isoNow() }), failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_PHONE" })])).toBe(200);
      // Written with the event: the row exists as soon as the webhook was answered, before any send.
      const rows = await deliveries();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "pending", type: "incident.opened", rule_id: rule.id, channel_id: channel.id, attempts: 0 });
      await dispatch();
      const got = receiver.on("/opened");
      expect(got).toHaveLength(1);
      const body = new Webhook(channel.secret!).verify(got[0]!.body, got[0]!.headers) as Record<string, unknown> & { incident: Record<string, unknown> };
      const incidentId = await incidentIdOf(`SELECT id FROM incidents WHERE reason = 'FAILURE_BY_TIER_CAPACITY'`);
      expect(body).toMatchObject({
        id: rows[0]!.id,
        type: "incident.opened",
        rule: { id: rule.id, name: "Tier capacity" },
        url: `https://faultline.example.com/incidents/${incidentId}`,
        incident: { id: incidentId, reason: "FAILURE_BY_TIER_CAPACITY", reasonLabel: "No line capacity", reasonClass: "retry_later", line: "+573001112233", template: "welcome_v2", status: "open", count: 1 },
      });
      expect(body.meaning).toBe(reasonInfo("FAILURE_BY_TIER_CAPACITY")!.meaning);
      expect(body.action).toBe(reasonInfo("FAILURE_BY_TIER_CAPACITY")!.action);
      expect((await deliveries())[0]).toMatchObject({ status: "delivered", attempts: 1 });

      // Same incident again: no new incident, no notification.
      await sendTreble(failureEvent({ timestamp: isoNow() }));
      expect(await deliveries()).toHaveLength(1);
    });

    it("incident_regressed after a resolve, with repeat suppression per incident", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/regressed") });
      await createRule({ trigger: "incident_regressed", channelIds: [channel.id], repeatMinutes: 60 });
      await sendTreble(failureEvent({ timestamp: isoNow() }));
      const incidentId = await incidentIdOf(`SELECT id FROM incidents`);
      const actor = { actor: { id: admin.user.id, email: admin.user.email }, ip: null };
      await resolveIncident(incidentId, {}, actor);
      await sendTreble(failureEvent({ timestamp: isoNow() }));
      expect((await deliveries()).map((d) => d.type)).toEqual(["incident.regressed"]);
      // Regressing again within repeatMinutes is not notified again.
      await resolveIncident(incidentId, {}, actor);
      await sendTreble(failureEvent({ timestamp: isoNow() }));
      expect(await deliveries()).toHaveLength(1);
      await dispatch();
      expect(json(receiver.on("/regressed")[0]!.body)).toMatchObject({ type: "incident.regressed", incident: { id: incidentId, status: "open", count: 2 } });
    });

    it("template_status: hsm.status PAUSED notifies (Slack Block Kit), APPROVED does not", async () => {
      const channel = await createChannel({ type: "slack", name: "s", url: receiver.url("/slack") });
      await createRule({ trigger: "template_status", channelIds: [channel.id] });
      const hsm = (status: string) => ({ event_type: "hsm.status", event_id: nextEventId("hsm"), timestamp: isoNow(), hsm: { name: "welcome_v2", status } });
      expect(await sendTreble([hsm("APPROVED"), hsm("PAUSED")])).toBe(200);
      expect((await deliveries()).map((d) => d.type)).toEqual(["template.status_changed"]);
      await dispatch();
      const body = json(receiver.on("/slack")[0]!.body) as { text: string; blocks: Array<{ type: string; fields?: unknown[]; elements?: Array<{ url: string }> }> };
      expect(body.text).toContain("welcome_v2");
      expect(body.text).toContain("PAUSED");
      expect(body.blocks[0]!.type).toBe("header");
      expect(body.blocks.some((b) => b.type === "section" && b.fields)).toBe(true);
      expect(body.blocks.find((b) => b.type === "actions")!.elements![0]!.url).toBe("https://faultline.example.com/templates/welcome_v2");
    });

    it("incident_escalating: a burst through the webhook over a steady week escalates and notifies in that ingest (Teams Adaptive Card)", async () => {
      const channel = await createChannel({ type: "teams", name: "t", url: receiver.url("/teams") });
      await createRule({ trigger: "incident_escalating", channelIds: [channel.id] });
      const spam = (at: number) => failureEvent({ timestamp: new Date(at).toISOString(), failure_reason: "FAILURE_BY_SPAM_RATE_LIMIT" });
      // Two failures an hour for the 8 days before this hour: its usual rate (threshold 10 an hour, and at least 20).
      const thisHour = Date.now() - (Date.now() % 3_600_000);
      const history = Array.from({ length: 8 * 24 }, (_, h) => [spam(thisHour - (h + 1) * 3_600_000 + 60_000), spam(thisHour - (h + 1) * 3_600_000 + 120_000)]).flat();
      expect(await sendTreble(history)).toBe(200);
      const incidentId = await incidentIdOf(`SELECT id FROM incidents`);
      // 19 in this hour: not yet; the 20th escalates, and its delivery is written with it.
      expect(await sendTreble(Array.from({ length: 19 }, () => spam(Date.now())))).toBe(200);
      expect(await deliveries()).toHaveLength(0);
      expect(await sendTreble(spam(Date.now()))).toBe(200);
      expect((await getEngine().one<{ escalating: number }>(`SELECT escalating FROM incidents WHERE id = ?`, [incidentId]))!.escalating).toBe(1);
      expect((await deliveries()).map((d) => d.type)).toEqual(["incident.escalating"]);
      await dispatch();
      const card = json(receiver.on("/teams")[0]!.body) as { type: string; attachments: Array<{ contentType: string; content: { type: string; body: Array<{ type: string; facts?: Array<{ title: string; value: string }> }>; actions: Array<{ url: string }> } }> };
      expect(card.type).toBe("message");
      expect(card.attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
      expect(card.attachments[0]!.content.type).toBe("AdaptiveCard");
      const facts = card.attachments[0]!.content.body.find((b) => b.type === "FactSet")!.facts!;
      expect(facts).toContainEqual({ title: "Reason", value: expect.stringContaining("(FAILURE_BY_SPAM_RATE_LIMIT)") });
      expect(facts).toContainEqual({ title: "Line", value: "+57 300 111 2233" });
      expect(facts).toContainEqual({ title: "Count", value: String(8 * 24 * 2 + 20) });
      expect(card.attachments[0]!.content.actions[0]!.url).toBe(`https://faultline.example.com/incidents/${incidentId}`);
    });

    it("a snoozed incident that starts escalating stays silent (its escalation is still logged)", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/snoozed") });
      await createRule({ trigger: "incident_escalating", channelIds: [channel.id] });
      const spam = (at: number) => failureEvent({ timestamp: new Date(at).toISOString(), failure_reason: "FAILURE_BY_SPAM_RATE_LIMIT" });
      const thisHour = Date.now() - (Date.now() % 3_600_000);
      const history = Array.from({ length: 8 * 24 }, (_, h) => spam(thisHour - (h + 1) * 3_600_000 + 60_000));
      expect(await sendTreble(history)).toBe(200);
      const incidentId = await incidentIdOf(`SELECT id FROM incidents`);
      await snoozeIncident(incidentId, { hours: 24 }, { actor: { id: admin.user.id, email: admin.user.email }, ip: null });
      expect(await sendTreble(Array.from({ length: 20 }, () => spam(Date.now())))).toBe(200);
      const row = await getEngine().one(`SELECT status, escalating FROM incidents WHERE id = ?`, [incidentId]);
      expect(row).toEqual({ status: "snoozed", escalating: 1 });
      expect(await deliveries()).toHaveLength(0);
    });

    it("e-mail: subject starts [Faultline] and names reason and line/template, with text and HTML parts, over real SMTP", async () => {
      const channel = await createChannel({ type: "email", name: "mail", to: ["ops@example.com", "lead@example.com"] });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      await sendTreble(failureEvent({ timestamp: isoNow(), failure_reason: "FAILURE_BY_DISABLED_HSM", hsm: { name: "promo_nov" } }));
      await dispatch();
      expect((await deliveries())[0]).toMatchObject({ status: "delivered" });
      expect(mail.mails).toHaveLength(1);
      const m = mail.mails[0]!;
      expect(m.to.sort()).toEqual(["lead@example.com", "ops@example.com"]);
      expect(m.from).toBe("alerts@faultline.example.com");
      const subject = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(m.raw)![1]!.replace(/\r\n[ \t]/g, " ");
      expect(subject.startsWith("[Faultline]")).toBe(true);
      expect(subject).toContain("FAILURE_BY_DISABLED_HSM");
      expect(subject).toContain("promo_nov");
      expect(m.raw).toContain("multipart/alternative");
      expect(m.raw).toContain("text/plain");
      expect(m.raw).toContain("text/html");

      // A permanent SMTP refusal fails at once.
      mail.refuseWith = 550;
      await sendTreble(failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_POLL" }));
      await dispatch();
      expect((await deliveries())[1]).toMatchObject({ status: "failed", attempts: 1 });
      expect((await deliveries())[1]!.last_error).toContain("SMTP");
    });
  });

  describe("timed rules (rollups)", () => {
    it("threshold: ≥ n matching failures in the last m minutes, then quiet for repeatMinutes", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/threshold") });
      const rule = await createRule({ trigger: "threshold", channelIds: [channel.id], filter: { reason: "FAILURE_BY_RATE_LIMIT" }, threshold: { count: 3, windowMinutes: 10 }, repeatMinutes: 30 });
      const now = Date.now();
      const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
      await sendTreble([failureEvent({ timestamp: at(2), failure_reason: "FAILURE_BY_RATE_LIMIT" }), failureEvent({ timestamp: at(3), failure_reason: "FAILURE_BY_RATE_LIMIT" }), failureEvent({ timestamp: at(20), failure_reason: "FAILURE_BY_RATE_LIMIT" }), failureEvent({ timestamp: at(1), failure_reason: "INVALID_PHONE" })]);
      expect(await evaluateTimedRules(getEngine(), now)).toBe(0);
      await sendTreble(failureEvent({ timestamp: at(1), failure_reason: "FAILURE_BY_RATE_LIMIT" }));
      expect(await evaluateTimedRules(getEngine(), now)).toBe(1);
      expect(await evaluateTimedRules(getEngine(), now + 60_000)).toBe(0); // repeat suppression
      await dispatch();
      const body = json(receiver.on("/threshold")[0]!.body) as { type: string; rule: { id: number }; window: { count: number; previousCount: number | null; from: string; to: string }; url: string };
      expect(body).toMatchObject({ type: "threshold.exceeded", rule: { id: rule.id }, window: { count: 3, previousCount: null, to: new Date(now).toISOString() } });
      expect(body.url).toMatch(/^https:\/\/faultline\.example\.com\/failures\?from=.*&reason=FAILURE_BY_RATE_LIMIT$/);
    });

    it("a line typed with spaces is saved normalised, matches that line's failures, and the message names it by its label", async () => {
      const by = { actor: { id: admin.user.id, email: admin.user.email }, ip: null };
      await setLineLabel("+573104567890", { label: "Ventas CO" }, by);
      try {
        const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/typed-line"), locale: "en" });
        const rule = await createRule({ trigger: "threshold", channelIds: [channel.id], filter: { line: "+57 310 456 7890, 573104567890" }, threshold: { count: 2, windowMinutes: 10 } });
        const read = (await answer(await getRuleRoute(req(`/api/alerts/rules/${rule.id}`, "GET"), params({ id: String(rule.id) })))).json as { filter: { line: string } };
        expect(read.filter.line).toBe("+573104567890");
        const now = Date.now();
        const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
        await sendTreble([failureEvent({ timestamp: at(1), line: "+573104567890" }), failureEvent({ timestamp: at(3), line: "+573104567890" }), failureEvent({ timestamp: at(2) })]);
        expect(await evaluateTimedRules(getEngine(), now)).toBe(1);
        await dispatch();
        const body = json(receiver.on("/typed-line")[0]!.body) as { title: string; window: { count: number }; filter: { line: string } };
        expect(body.window.count).toBe(2);
        expect(body.filter.line).toBe("+573104567890");
        expect(body.title).toBe("2 failures in the last 10 min for line Ventas CO (+57 310 456 7890)");
      } finally {
        await setLineLabel("+573104567890", { label: null }, by);
      }
    });

    it("change: vs the same window one week earlier, at least minCount now", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/change") });
      await createRule({ trigger: "change", channelIds: [channel.id], change: { percent: 100, windowMinutes: 60, minCount: 2 } });
      const now = Date.now();
      const week = 7 * 86_400_000;
      const at = (ms: number) => new Date(ms).toISOString();
      await sendTreble([failureEvent({ timestamp: at(now - week - 10 * 60_000) }), failureEvent({ timestamp: at(now - 10 * 60_000) })]);
      expect(await evaluateTimedRules(getEngine(), now)).toBe(0); // 1 vs 1, below minCount
      await sendTreble([failureEvent({ timestamp: at(now - 5 * 60_000) })]);
      expect(await evaluateTimedRules(getEngine(), now)).toBe(1); // 2 vs 1: +100 %
      await dispatch();
      expect(json(receiver.on("/change")[0]!.body)).toMatchObject({ type: "change.exceeded", window: { count: 2, previousCount: 1 } });
    });

    it("digest: once a day at its local time, summarising the past 24 h", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/digest") });
      const rule = await createRule({ trigger: "digest", channelIds: [channel.id], digest: { time: "08:00", tz: "America/Bogota" } });
      await getEngine().exec(`UPDATE alert_rules SET created_at = 0 WHERE id = ?`, [rule.id]);
      // 08:00 in Bogotá is 13:00 UTC.
      const eight = Date.UTC(2026, 10, 25, 13, 0);
      await sendTreble([failureEvent({ timestamp: new Date(eight - 3_600_000).toISOString() }), failureEvent({ timestamp: new Date(eight - 2 * 86_400_000).toISOString() })]);
      expect(await evaluateTimedRules(getEngine(), eight - 60_000)).toBe(0);
      expect(await evaluateTimedRules(getEngine(), eight + 20_000)).toBe(1);
      expect(await evaluateTimedRules(getEngine(), eight + 40_000)).toBe(0);
      await dispatch();
      expect(json(receiver.on("/digest")[0]!.body)).toMatchObject({ type: "digest", window: { count: 1, from: new Date(eight - 86_400_000).toISOString(), to: new Date(eight).toISOString() } });
    });
  });

  describe("delivery", () => {
    it("retries 5xx on the schedule (30 s, 2 min) under one id until the receiver recovers", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/flaky") });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      receiver.script("/flaky", { status: 503 }, { status: 500 });
      await sendTreble(failureEvent({ timestamp: isoNow() }));
      await dispatch();
      const start = clock;
      expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 1, next_attempt_at: start + 30_000 });
      expect((await deliveries())[0]!.last_error).toContain("503");
      await dispatch(); // not due yet
      expect(receiver.on("/flaky")).toHaveLength(1);
      clock = start + 30_000;
      await dispatch();
      expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 2, next_attempt_at: clock + 120_000 });
      clock += 120_000;
      await dispatch();
      expect((await deliveries())[0]).toMatchObject({ status: "delivered", attempts: 3 });
      const ids = new Set(receiver.on("/flaky").map((r) => r.headers["webhook-id"]));
      expect(ids).toEqual(new Set([(await deliveries())[0]!.id]));
      const listed = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<Record<string, unknown>>;
      expect(listed[0]).toMatchObject({ failingSince: null, lastError: expect.stringContaining("500") });
    });

    it("honours Retry-After on 429, fails other 4xx at once, disables the channel on 410, gives up after 24 h", async () => {
      const hook = await createChannel({ type: "webhook", name: "h", url: receiver.url("/limited") });
      const bad = await createChannel({ type: "webhook", name: "bad", url: receiver.url("/bad") });
      const gone = await createChannel({ type: "slack", name: "gone", url: receiver.url("/gone") });
      await createRule({ trigger: "incident_opened", channelIds: [hook.id, bad.id, gone.id] });
      receiver.script("/limited", { status: 429, headers: { "Retry-After": "600" } });
      receiver.setDefault("/bad", { status: 400 });
      receiver.setDefault("/gone", { status: 410 });
      await sendTreble([failureEvent({ timestamp: isoNow() }), failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_PHONE" })]);
      await dispatch();
      const start = clock;
      const byChannel = async (id: number) => (await deliveries()).filter((d) => d.channel_id === id);
      const limited = async () => (await byChannel(hook.id)).find((d) => d.attempts > 0 && d.last_error !== null)!;
      expect(await limited()).toMatchObject({ status: "pending", attempts: 1, next_attempt_at: start + 600_000 });
      expect((await byChannel(bad.id)).map((d) => [d.status, d.attempts])).toEqual([["failed", 1], ["failed", 1]]);
      expect((await byChannel(gone.id)).map((d) => d.status)).toEqual(["failed", "failed"]);
      expect(receiver.on("/gone")).toHaveLength(1); // the second was failed with the channel, not sent
      const channels = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<{ id: number; enabled: boolean; disabledReason: string | null }>;
      expect(channels.find((c) => c.id === gone.id)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("410") });
      expect(channels.find((c) => c.id === bad.id)).toMatchObject({ enabled: true });

      // A receiver down for good: retried until 24 h after the first attempt, then failed; flagged.
      receiver.setDefault("/limited", { status: 503 });
      for (let i = 0; i < 20 && (await limited()).status === "pending"; i++) {
        clock = (await limited()).next_attempt_at;
        await dispatch();
      }
      const final = (await getEngine().one<DeliveryRow & { first_attempt_at: number }>(`SELECT * FROM alert_deliveries WHERE id = ?`, [(await limited()).id]))!;
      expect(final.status).toBe("failed");
      // Attempts at 0, then after 10 min (Retry-After), 2 min, 10 min, 1 h, 3 h, 6 h, 6 h, 6 h (22 h 22 min); the next would pass 24 h.
      expect(final.attempts).toBe(9);
      expect(final.next_attempt_at - final.first_attempt_at).toBe((10 + 2 + 10 + 60 + 180 + 360 + 360 + 360) * 60_000);
      const flagged = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<{ id: number; failing: boolean }>;
      expect(flagged.find((c) => c.id === hook.id)!.failing).toBe(false); // flagged only once 24 h have passed in real time
      await getEngine().exec(`UPDATE alert_channels SET failing_since = ? WHERE id = ?`, [Date.now() - 25 * 3_600_000, hook.id]);
      const later = (await answer(await listChannelsRoute(req("/api/alerts/channels", "GET")))).json.items as Array<{ id: number; failing: boolean }>;
      expect(later.find((c) => c.id === hook.id)!.failing).toBe(true);
    });

    it("gives up on a receiver that does not answer within 10 s and retries it after 30 s", async () => {
      const channel = await createChannel({ type: "teams", name: "slow", url: receiver.url("/slow") });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      receiver.script("/slow", { status: 200, hang: true });
      await sendTreble(failureEvent({ timestamp: isoNow() }));
      const started = Date.now();
      await dispatch();
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
      expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 1, next_attempt_at: clock + 30_000 });
      expect((await deliveries())[0]!.last_error).toContain("timed out after 10 s");
      clock += 30_000;
      await dispatch();
      expect((await deliveries())[0]).toMatchObject({ status: "delivered", attempts: 2 });
    }, HANGING_RECEIVER_TEST_TIMEOUT_MS);

    it("paces Slack to 1 message/s and groups more than 5 pending into one message", async () => {
      const channel = await createChannel({ type: "slack", name: "s", url: receiver.url("/paced") });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      await sendTreble([failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_PHONE" }), failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_POLL" })]);
      await dispatch();
      await dispatch();
      expect(receiver.on("/paced")).toHaveLength(1); // the second waits its turn
      clock += 1000;
      await dispatch();
      expect(receiver.on("/paced")).toHaveLength(2);

      const reasons = ["FAILURE", "REVOKED", "MISSING_PARAMETER", "PARAMETER_MISMATCH", "CHARACTER_LIMIT_BODY", "CHARACTER_LIMIT_HEADER", "COMPANY_RATE_LIMIT"];
      await sendTreble(reasons.map((r) => failureEvent({ timestamp: isoNow(), failure_reason: r })));
      clock += 1000;
      await dispatch();
      const got = receiver.on("/paced");
      expect(got).toHaveLength(3);
      const grouped = json(got[2]!.body) as { text: string; blocks: Array<{ type: string }> };
      expect(grouped.text).toContain("7 Faultline notifications");
      expect(grouped.blocks.filter((b) => b.type === "actions")).toHaveLength(7);
      const rows = (await deliveries()).slice(2);
      expect(rows.every((d) => d.status === "delivered" && d.group_id?.startsWith("grp_"))).toBe(true);
      expect(new Set(rows.map((d) => d.group_id)).size).toBe(1);
    });

    it("groups a burst to an e-mail channel into one message", async () => {
      const channel = await createChannel({ type: "email", name: "mail", to: ["ops@example.com"] });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      const reasons = ["FAILURE", "REVOKED", "MISSING_PARAMETER", "PARAMETER_MISMATCH", "CHARACTER_LIMIT_BODY", "CHARACTER_LIMIT_HEADER"];
      await sendTreble(reasons.map((r) => failureEvent({ timestamp: isoNow(), failure_reason: r })));
      await dispatch();
      expect(mail.mails).toHaveLength(1);
      expect(mail.mails[0]!.raw).toMatch(/^Subject: \[Faultline\] 6 Faultline notifications/m);
      const text = mail.mails[0]!.raw.replace(/=\r?\n/g, ""); // quoted-printable soft line breaks
      for (const r of reasons) expect(text).toContain(r);
      expect((await deliveries()).every((d) => d.status === "delivered")).toBe(true);
    });

    it("quiet hours hold notifications and send them grouped when the hours end — none dropped", async () => {
      const channel = await createChannel({ type: "slack", name: "s", url: receiver.url("/quiet") });
      const now = new Date();
      const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
      const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 2 * 60 * 60_000);
      await createRule({ trigger: "incident_opened", channelIds: [channel.id], quietHours: { start: hhmm(new Date(now.getTime() - 3_600_000)), end: hhmm(end), tz: "UTC" } });
      await sendTreble([failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_PHONE" }), failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_POLL" }), failureEvent({ timestamp: isoNow(), failure_reason: "REVOKED" })]);
      expect((await deliveries()).map((d) => [d.status, d.next_attempt_at])).toEqual(Array(3).fill(["held", end.getTime()]));
      await dispatch();
      expect(receiver.on("/quiet")).toHaveLength(0);
      const listed = (await answer(await listDeliveriesRoute(req("/api/alerts/deliveries", "GET")))).json.items as Array<{ status: string }>;
      expect(listed.map((d) => d.status)).toEqual(["held", "held", "held"]);
      clock = end.getTime();
      await dispatch();
      const got = receiver.on("/quiet");
      expect(got).toHaveLength(1);
      expect(json(got[0]!.body).text).toContain("3 Faultline notifications");
      expect((await deliveries()).every((d) => d.status === "delivered")).toBe(true);
    });

    it("starts the first attempt within 5 s of the webhook's 200 with the dispatcher running on its timer", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/fast") });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      const live = new AlertDispatcher(getEngine());
      live.start();
      try {
        await sendTreble(failureEvent({ timestamp: isoNow() }));
        const answeredAt = Date.now();
        await receiver.waitFor(() => receiver.on("/fast").length === 1, 5000);
        expect(receiver.on("/fast")[0]!.at - answeredAt).toBeLessThan(5000);
      } finally {
        live.stop();
        await live.idle();
      }
    });
  });

  describe("off the webhook's path", () => {
    it("keeps answering webhooks promptly while a receiver hangs on a delivery", async () => {
      const channel = await createChannel({ type: "webhook", name: "stuck", url: receiver.url("/stuck") });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      receiver.script("/stuck", { status: 200, hang: true });
      const live = new AlertDispatcher(getEngine());
      live.start();
      try {
        await sendTreble(failureEvent({ timestamp: isoNow(), failure_reason: "INVALID_POLL" }));
        await receiver.waitFor(() => receiver.on("/stuck").length === 1, 5000);
        const slowest = { ms: 0 };
        for (let i = 0; i < 20; i++) {
          const started = Date.now();
          expect(await sendTreble(failureEvent({ timestamp: isoNow(), line: `+5730055500${String(i).padStart(2, "0")}` }))).toBe(200);
          slowest.ms = Math.max(slowest.ms, Date.now() - started);
        }
        // The two sides overlapped: the delivery was still unanswered while all 20 webhooks were.
        expect(receiver.on("/stuck")[0]!.answered).toBeNull();
        expect(slowest.ms).toBeLessThan(1000);
        expect((await deliveries()).filter((d) => d.status === "pending")).toHaveLength(21);
      } finally {
        live.stop();
        await live.idle();
      }
    }, HANGING_RECEIVER_TEST_TIMEOUT_MS);
  });

  describe("deliveries API", () => {
    it("lists newest first with a keyset cursor, and 'retry now' resends a failed delivery", async () => {
      const channel = await createChannel({ type: "webhook", name: "h", url: receiver.url("/log") });
      await createRule({ trigger: "incident_opened", channelIds: [channel.id] });
      receiver.script("/log", { status: 404 });
      await sendTreble(["FAILURE", "REVOKED", "INVALID_PHONE"].map((r) => failureEvent({ timestamp: isoNow(), failure_reason: r })));
      await dispatch();
      await dispatch();
      await dispatch();
      const page1 = (await answer(await listDeliveriesRoute(req("/api/alerts/deliveries?limit=2", "GET")))).json as { items: Array<Record<string, unknown>>; nextCursor: string };
      expect(page1.items).toHaveLength(2);
      expect(Object.keys(page1.items[0]!)).toEqual(expect.arrayContaining(["id", "ruleId", "channelId", "type", "status", "attempts", "lastError", "createdAt", "deliveredAt"]));
      const page2 = (await answer(await listDeliveriesRoute(req(`/api/alerts/deliveries?limit=2&cursor=${page1.nextCursor}`, "GET")))).json as { items: Array<{ id: string; status: string }>; nextCursor: string | null };
      expect(page2.items).toHaveLength(1);
      expect(page2.nextCursor).toBeNull();
      const all = [...page1.items, ...page2.items] as Array<{ id: string; status: string }>;
      expect(new Set(all.map((d) => d.id)).size).toBe(3);
      const failed = all.find((d) => d.status === "failed")!;
      expectError(await answer(await listDeliveriesRoute(req("/api/alerts/deliveries?limit=501", "GET"))), 400);

      const retried = await answer(await retryRoute(req(`/api/alerts/deliveries/${failed.id}/retry`, "POST"), params({ id: failed.id })));
      expect(retried.json).toMatchObject({ id: failed.id, status: "pending" });
      await dispatch();
      expect((await deliveries()).find((d) => d.id === failed.id)).toMatchObject({ status: "delivered", attempts: 2 });
      const conflict = await answer(await retryRoute(req(`/api/alerts/deliveries/${failed.id}/retry`, "POST"), params({ id: failed.id })));
      expect(conflict.status).toBe(409);
      expect(conflict.json.current).toMatchObject({ id: failed.id, status: "delivered" });
      expectError(await answer(await retryRoute(req(`/api/alerts/deliveries/msg_nope/retry`, "POST"), params({ id: "msg_nope" }))), 404);
    });
  });

  describe("preview", () => {
    it("counts what a rule would have sent over the last 7 days", async () => {
      const now = Date.now();
      const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
      await sendTreble([
        failureEvent({ timestamp: at(60), failure_reason: "FAILURE_BY_TIER_CAPACITY" }),
        failureEvent({ timestamp: at(61), failure_reason: "FAILURE_BY_TIER_CAPACITY" }),
        failureEvent({ timestamp: at(62), failure_reason: "FAILURE_BY_TIER_CAPACITY" }),
        failureEvent({ timestamp: at(3 * 24 * 60), failure_reason: "FAILURE_BY_TIER_CAPACITY" }),
        failureEvent({ timestamp: at(10), failure_reason: "INVALID_PHONE", line: "+573009998877" }),
        { event_type: "hsm.status", event_id: nextEventId("hsm"), timestamp: at(5), hsm: { name: "welcome_v2", status: "REJECTED" } },
      ]);
      const preview = async (body: Record<string, unknown>) => (await answer(await previewRoute(req("/api/alerts/rules/preview", "POST", { name: "p", ...body })))).json;
      expect(await preview({ trigger: "incident_opened" })).toEqual({ notifications: 2, days: 7 });
      expect(await preview({ trigger: "incident_opened", filter: { line: "+573009998877" } })).toEqual({ notifications: 1, days: 7 });
      expect(await preview({ trigger: "template_status" })).toEqual({ notifications: 1, days: 7 });
      expect(await preview({ trigger: "threshold", filter: { reason: "FAILURE_BY_TIER_CAPACITY" }, threshold: { count: 3, windowMinutes: 5 } })).toEqual({ notifications: 1, days: 7 });
      expect(await preview({ trigger: "threshold", filter: { reason: "FAILURE_BY_TIER_CAPACITY" }, threshold: { count: 4, windowMinutes: 5 } })).toEqual({ notifications: 0, days: 7 });
      expect(await preview({ trigger: "digest", digest: { time: "08:00", tz: "UTC" } })).toEqual({ notifications: 7, days: 7 });
      expectError(await answer(await previewRoute(req("/api/alerts/rules/preview", "POST", { name: "p", trigger: "threshold" }))), 400);
    });
  });
});
