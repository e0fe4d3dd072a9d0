import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { ConflictError, DeliveryFailedError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { AlertReceiver } from "@/lib/testing/alert-receiver";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { createChannel, deleteChannel, listChannels, rotateChannelSecret, testChannel, updateChannel } from "./channels";
import { listDeliveries, retryDelivery } from "./deliveries";
import { previewRule } from "./preview";
import { addRecommendedRules, createRule, deleteRule, getRule, listRules, updateRule, type RuleSummary } from "./rules";
import { holdLock } from "@/lib/testing/hold-lock";

// Alert channels, rules, the delivery log and the rule preview through the lib verbs, the same
// tests on SQLite and PostgreSQL; then races on PostgreSQL between two pooled connections.
const databases = setupEngineDatabases({ PUBLIC_URL: "https://faultline.example.com", LOG_LEVEL: "silent" });
const receiver = new AlertReceiver();
beforeAll(() => receiver.start());
afterAll(async () => {
  await receiver.stop();
  await databases.cleanup();
});

const AT = Date.parse("2026-11-25T10:00:00Z");
const admin = { id: "admin-1", email: "admin@test.example" };
const by = { actor: admin, ip: "10.0.0.1", now: AT };
const TABLES = ["alert_deliveries", "alert_rule_state", "alert_rules", "alert_channels", "audit_log", "incident_activity", "incidents", "template_status_events", "raw_events", "users"];

const auditRows = () => getEngine().query<{ action: string; target: string; detail: string | null }>("SELECT action, target, detail FROM audit_log ORDER BY id");
const storedChannel = (id: number) =>
  getEngine().one<{ secret: string | null; enabled: number; disabled_reason: string | null; failing_since: number | null; locale: string }>(
    "SELECT secret, enabled, disabled_reason, failing_since, locale FROM alert_channels WHERE id = ?",
    [id],
  );

async function addDelivery(id: string, channelId: number, status: string, createdAt: number): Promise<void> {
  await getEngine().exec("INSERT INTO alert_deliveries (id, rule_id, channel_id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (?, NULL, ?, 'test', '{}', ?, 1, ?, ?)", [
    id,
    channelId,
    status,
    createdAt,
    createdAt,
  ]);
}

/** Where a webhook channel made by hook(name) posts (the key shows that URLs are masked). */
const hookPath = (name: string) => `/${encodeURIComponent(name)}?key=supersecret`;

async function hook(name = "Ops hook") {
  return createChannel({ type: "webhook", name, url: receiver.url(hookPath(name)) }, by);
}

describe.each(ENGINES)("alert settings on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    for (const table of TABLES) await getEngine().exec(`DELETE FROM ${table}`);
    receiver.requests.length = 0;
    await getEngine().exec("INSERT INTO users (id, name, email, email_verified, created_at, updated_at, role, disabled, locale) VALUES (?, 'Admin', ?, 0, ?, ?, 'admin', 0, 'es')", [
      admin.id,
      admin.email,
      AT,
      AT,
    ]);
  });

  describe("channels", () => {
    it("creates channels (a webhook's secret shown once), in the admin's language unless one is given, masked and newest first; audited", async () => {
      const created = await hook();
      expect(created).toMatchObject({ type: "webhook", name: "Ops hook", enabled: true, locale: "es", createdAt: "2026-11-25T10:00:00.000Z", failing: false });
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(created.url).not.toContain("supersecret");
      expect((await storedChannel(created.id))!.secret).toBe(created.secret);
      const mail = await createChannel({ type: "email", name: "Mail", to: ["ops@example.com"], locale: "pt-BR", enabled: false }, by);
      expect(mail).toMatchObject({ type: "email", url: null, to: ["ops@example.com"], locale: "pt-BR", enabled: false });
      expect("secret" in mail).toBe(false);
      const listed = await listChannels(AT);
      expect(listed.map((c) => c.name)).toEqual(["Mail", "Ops hook"]);
      expect(JSON.stringify(listed)).not.toContain("whsec_");
      expect(await auditRows()).toEqual([
        { action: "alert_channel_created", target: `alert channel #${created.id} "Ops hook"`, detail: "webhook" },
        { action: "alert_channel_created", target: `alert channel #${mail.id} "Mail"`, detail: "email" },
      ]);
    });

    it("refuses an invalid channel (400), storing nothing", async () => {
      for (const bad of [{ type: "pager", name: "x" }, { type: "slack", name: "x", url: "ftp://nope" }, { type: "email", name: "x", to: ["not-mail"] }, { type: "slack", name: " ", url: "https://x.example" }]) {
        await expect(createChannel(bad, by), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidInputError);
      }
      expect(await listChannels()).toEqual([]);
      expect(await auditRows()).toEqual([]);
    });

    it("updates the given fields only; resuming or re-pointing clears the server's pause and failure flag; url and to only for their types; 404 when unknown", async () => {
      const created = await hook();
      const mail = await createChannel({ type: "email", name: "Mail", to: ["ops@example.com"] }, by);
      await getEngine().exec("UPDATE alert_channels SET enabled = 0, disabled_reason = 'The receiver answered 410 Gone; disabled.', failing_since = ? WHERE id = ?", [AT - 1, created.id]);

      const renamed = await updateChannel(created.id, { name: "Renamed", locale: "en" }, { ...by, now: AT + 1 });
      expect(renamed).toMatchObject({ name: "Renamed", locale: "en", enabled: false, disabledReason: "The receiver answered 410 Gone; disabled." });
      expect(await updateChannel(created.id, { enabled: true }, by)).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
      await getEngine().exec("UPDATE alert_channels SET failing_since = ? WHERE id = ?", [AT - 1, created.id]);
      await updateChannel(created.id, { url: receiver.url("/moved") }, by);
      expect(await storedChannel(created.id)).toMatchObject({ failing_since: null, secret: created.secret });
      expect(await updateChannel(mail.id, { to: ["a@example.com", "b@example.com"], enabled: false }, by)).toMatchObject({ to: ["a@example.com", "b@example.com"], enabled: false });

      await expect(updateChannel(mail.id, { url: receiver.url("/x") }, by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateChannel(created.id, { to: ["a@example.com"] }, by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateChannel(created.id, { enabled: "yes" }, by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateChannel(created.id + 1000, { name: "x" }, by)).rejects.toBeInstanceOf(NotFoundError);
      expect((await auditRows()).filter((r) => r.action === "alert_channel_changed").map((r) => [r.target, r.detail])).toEqual([
        [`alert channel #${created.id} "Renamed"`, "name, locale"],
        [`alert channel #${created.id} "Renamed"`, "enabled"],
        [`alert channel #${created.id} "Renamed"`, "url"],
        [`alert channel #${mail.id} "Mail"`, "enabled, to"],
      ]);
    });

    it("rotates a webhook channel's secret (stored, audited); other types 400, unknown 404", async () => {
      const created = await hook();
      const slack = await createChannel({ type: "slack", name: "Slack", url: receiver.url("/slack") }, by);
      const { secret } = await rotateChannelSecret(created.id, by);
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(created.secret);
      expect((await storedChannel(created.id))!.secret).toBe(secret);
      await expect(rotateChannelSecret(slack.id, by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(rotateChannelSecret(created.id + 1000, by)).rejects.toBeInstanceOf(NotFoundError);
      expect((await auditRows()).filter((r) => r.action === "alert_channel_secret_rotated")).toEqual([
        { action: "alert_channel_secret_rotated", target: `alert channel #${created.id} "Ops hook"`, detail: null },
      ]);
    });

    it("deletes a channel: what waited for it fails, what was delivered stays; a rule naming it keeps it; again 404", async () => {
      const created = await hook();
      const other = await hook("Other");
      const rule = await createRule({ name: "r", trigger: "incident_opened", channelIds: [created.id, other.id] }, by);
      await addDelivery("msg_pending", created.id, "pending", AT);
      await addDelivery("msg_held", created.id, "held", AT);
      await addDelivery("msg_done", created.id, "delivered", AT);
      await addDelivery("msg_other", other.id, "pending", AT);
      await deleteChannel(created.id, by);
      const rows = await getEngine().query<{ id: string; status: string; last_error: string | null }>("SELECT id, status, last_error FROM alert_deliveries ORDER BY id");
      expect(rows).toEqual([
        { id: "msg_done", status: "delivered", last_error: null },
        { id: "msg_held", status: "failed", last_error: "channel deleted" },
        { id: "msg_other", status: "pending", last_error: null },
        { id: "msg_pending", status: "failed", last_error: "channel deleted" },
      ]);
      expect((await getRule(rule.id)).channelIds).toEqual([created.id, other.id]);
      expect((await listChannels()).map((c) => c.id)).toEqual([other.id]);
      await expect(deleteChannel(created.id, by)).rejects.toBeInstanceOf(NotFoundError);
      expect((await auditRows()).filter((r) => r.action === "alert_channel_deleted")).toEqual([{ action: "alert_channel_deleted", target: `alert channel #${created.id} "Ops hook"`, detail: null }]);
    });

    it("sends a test to the real receiver and records it in the delivery log; a refusal is 502 and recorded too", async () => {
      const created = await hook("tested");
      expect(await testChannel(created.id, AT)).toEqual({ ok: true, status: 200 });
      expect(receiver.on(hookPath("tested"))).toHaveLength(1);
      receiver.script(hookPath("tested"), { status: 500 });
      await expect(testChannel(created.id, AT + 1)).rejects.toBeInstanceOf(DeliveryFailedError);
      const log = (await listDeliveries(new URLSearchParams())).items;
      expect(log.map((d) => [d.type, d.status, d.attempts, d.channelId])).toEqual([
        ["test", "failed", 1, created.id],
        ["test", "delivered", 1, created.id],
      ]);
      const [channel] = await listChannels();
      expect(channel!.lastSuccessAt).not.toBeNull();
      expect(channel!.lastError).toMatch(/500/);
      await expect(testChannel(created.id + 1000)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe("rules", () => {
    it("creates a rule naming existing channels only (400 otherwise, nothing stored); lists newest first; audited with its definition", async () => {
      const channel = await hook();
      await expect(createRule({ name: "r", trigger: "incident_opened", channelIds: [channel.id, channel.id + 1000] }, by)).rejects.toThrow(`no channel with id ${channel.id + 1000}`);
      await expect(createRule({ name: "r", trigger: "threshold", channelIds: [channel.id] }, by)).rejects.toBeInstanceOf(InvalidInputError);
      expect(await listRules()).toEqual([]);
      const first = await createRule({ name: "Opened", trigger: "incident_opened", channelIds: [channel.id, channel.id] }, by);
      expect(first).toMatchObject({ name: "Opened", trigger: "incident_opened", channelIds: [channel.id], enabled: true, createdAt: "2026-11-25T10:00:00.000Z" });
      const second = await createRule({ name: "Digest", trigger: "digest", channelIds: [channel.id], digest: { time: "08:00", tz: "UTC" }, enabled: false }, by);
      expect((await listRules()).map((r) => [r.name, r.enabled])).toEqual([
        ["Digest", false],
        ["Opened", true],
      ]);
      expect(await getRule(second.id)).toEqual(second);
      await expect(getRule(second.id + 1000)).rejects.toBeInstanceOf(NotFoundError);
      const audit = (await auditRows()).filter((r) => r.action === "alert_rule_created");
      expect(audit.map((r) => r.target)).toEqual([`alert rule #${first.id} "Opened"`, `alert rule #${second.id} "Digest"`]);
      expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ name: "Opened", channelIds: [channel.id] });
    });

    it("updates some fields (enable, disable, rename, re-scope), validated whole; 400 changes nothing; unknown 404", async () => {
      const channel = await hook();
      const rule = await createRule({ name: "Rate", trigger: "threshold", channelIds: [channel.id], threshold: { count: 5, windowMinutes: 10 } }, by);
      const disabled = await updateRule(rule.id, { enabled: false }, { ...by, now: AT + 1000 });
      expect(disabled).toMatchObject({ name: "Rate", enabled: false, threshold: { count: 5, windowMinutes: 10 }, updatedAt: "2026-11-25T10:00:01.000Z" });
      expect(await updateRule(rule.id, { enabled: true, name: "Rate limit", filter: { reason: "FAILURE_BY_RATE_LIMIT" } }, by)).toMatchObject({
        name: "Rate limit",
        enabled: true,
        filter: { reason: "FAILURE_BY_RATE_LIMIT" },
      });
      await expect(updateRule(rule.id, { threshold: null }, by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateRule(rule.id, { channelIds: [channel.id + 1000] }, by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateRule(rule.id, [1], by)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateRule(rule.id + 1000, { name: "x" }, by)).rejects.toBeInstanceOf(NotFoundError);
      expect(await getRule(rule.id)).toMatchObject({ name: "Rate limit", enabled: true, channelIds: [channel.id] });
      expect((await auditRows()).filter((r) => r.action === "alert_rule_changed")).toHaveLength(2);
    });

    it("deletes a rule with its repeat-suppression state; again 404", async () => {
      const channel = await hook();
      const rule = await createRule({ name: "r", trigger: "incident_opened", channelIds: [channel.id] }, by);
      await getEngine().exec("INSERT INTO alert_rule_state (rule_id, scope, last_notified_at) VALUES (?, 'incident:1:incident_opened', ?)", [rule.id, AT]);
      await deleteRule(rule.id, by);
      expect(await listRules()).toEqual([]);
      expect(await getEngine().query("SELECT * FROM alert_rule_state")).toEqual([]);
      await expect(deleteRule(rule.id, by)).rejects.toBeInstanceOf(NotFoundError);
      expect((await auditRows()).map((r) => r.action)).toEqual(["alert_channel_created", "alert_rule_created", "alert_rule_deleted"]);
    });

    it("adds the recommended rules for the enabled channels once; with no channel 400", async () => {
      await expect(addRecommendedRules({}, by)).rejects.toBeInstanceOf(InvalidInputError);
      const channel = await hook();
      await createChannel({ type: "slack", name: "paused", url: receiver.url("/paused"), enabled: false }, by);
      const { items } = await addRecommendedRules({ tz: "America/Bogota" }, by);
      expect(items).toHaveLength(5);
      expect(items.every((r) => r.channelIds.length === 1 && r.channelIds[0] === channel.id)).toBe(true);
      expect(items.find((r) => r.trigger === "digest")!.digest).toEqual({ time: "08:00", tz: "America/Bogota" });
      expect((await addRecommendedRules({}, by)).items).toEqual([]);
      expect(await listRules()).toHaveLength(5);
    });
  });

  describe("delivery log", () => {
    it("lists newest first by keyset pages; retries a failed, pending or held one; a delivered one 409 with it as it is; unknown 404", async () => {
      const channel = await hook();
      await addDelivery("msg_a", channel.id, "delivered", AT);
      await addDelivery("msg_b", channel.id, "failed", AT);
      await addDelivery("msg_c", channel.id, "held", AT + 1);
      const first = await listDeliveries(new URLSearchParams({ limit: "2" }));
      expect(first.items.map((d) => d.id)).toEqual(["msg_c", "msg_b"]);
      const second = await listDeliveries(new URLSearchParams({ limit: "2", cursor: first.nextCursor! }));
      expect(second).toEqual({ items: [expect.objectContaining({ id: "msg_a", status: "delivered", nextAttemptAt: null })], nextCursor: null });
      await expect(listDeliveries(new URLSearchParams({ limit: "0" }))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(listDeliveries(new URLSearchParams({ cursor: "nope" }))).rejects.toBeInstanceOf(InvalidInputError);

      expect(await retryDelivery("msg_b", AT + 5)).toMatchObject({ id: "msg_b", status: "pending", nextAttemptAt: new Date(AT + 5).toISOString() });
      expect(await retryDelivery("msg_c", AT + 5)).toMatchObject({ status: "pending" });
      const refused = await retryDelivery("msg_a", AT + 5).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as ConflictError).current).toMatchObject({ id: "msg_a", status: "delivered" });
      await expect(retryDelivery("msg_nope")).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe("preview", () => {
    it("replays incident, template and digest rules over the last 7 days", async () => {
      const now = AT;
      const incident = async (line: string, firstSeen: number, status = "open") =>
        (await getEngine().one<{ id: number }>(
          "INSERT INTO incidents (reason, line_key, template_key, status, first_seen, last_seen, failures, contacts, updated_at) VALUES ('FAILURE_BY_TIER_CAPACITY', ?, 'tpl', ?, ?, ?, 1, 1, ?) RETURNING id",
          [line, status, firstSeen, now - 1000, now],
        ))!.id;
      const day = 86_400_000;
      await incident("+573001112233", now - day);
      const regressing = await incident("+573009998877", now - 2 * day);
      await incident("+573005556666", now - day, "snoozed");
      await incident("+573004443333", now - 8 * day);
      for (const at of [now - 3 * day, now - 3 * day + 60_000, now - day]) {
        await getEngine().exec("INSERT INTO incident_activity (incident_id, at, action) VALUES (?, ?, 'regressed')", [regressing, at]);
      }
      for (const [i, status] of ["PAUSED", "APPROVED", "paused"].entries()) {
        const raw = await getEngine().one<{ id: number }>("INSERT INTO raw_events (dedupe_key, event_type, occurred_at, received_at, payload) VALUES (?, 'hsm.status', ?, ?, ?) RETURNING id", [
          Buffer.from(`key-${i}`),
          now - day + i,
          now - day + i,
          Buffer.from("{}"),
        ]);
        await getEngine().exec("INSERT INTO template_status_events (raw_event_id, template, status, occurred_at, received_at) VALUES (?, 'tpl', ?, ?, ?)", [raw!.id, status, now - day + i, now - day + i * 3_600_000]);
      }
      const preview = (body: Record<string, unknown>) => previewRule({ name: "p", ...body }, now);
      expect(await preview({ trigger: "incident_opened" })).toEqual({ notifications: 2, days: 7 });
      expect(await preview({ trigger: "incident_opened", filter: { line: "+573009998877" } })).toEqual({ notifications: 1, days: 7 });
      expect(await preview({ trigger: "incident_regressed", repeatMinutes: 0 })).toEqual({ notifications: 3, days: 7 });
      expect(await preview({ trigger: "incident_regressed", repeatMinutes: 60 })).toEqual({ notifications: 2, days: 7 });
      expect(await preview({ trigger: "template_status" })).toEqual({ notifications: 2, days: 7 });
      expect(await preview({ trigger: "template_status", repeatMinutes: 180 })).toEqual({ notifications: 1, days: 7 });
      expect(await preview({ trigger: "digest", digest: { time: "08:00", tz: "UTC" } })).toEqual({ notifications: 7, days: 7 });
      await expect(preview({ trigger: "threshold" })).rejects.toBeInstanceOf(InvalidInputError);
    });
  });
});

describe("races on postgres", () => {
  beforeAll(() => databases.use("postgres"), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    for (const table of TABLES) await getEngine().exec(`DELETE FROM ${table}`);
  });

  const waitingUpdates = async (table: string) =>
    (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ?", [`UPDATE ${table} SET %`]))!.n;

  type Outcome<T> = { won: T } | { conflict: unknown };

  /**
   * Starts both contenders while a third connection holds the row's lock, waits until PostgreSQL
   * shows both of their UPDATEs waiting on it — both transactions read the row and are open at
   * once, the overlap proven — then lets them go.
   */
  async function raceOnHeldRow<T>(table: string, id: number, contenders: Array<() => Promise<T>>): Promise<Array<Outcome<T>>> {
    const held = await holdLock(getEngine(), (tx) => tx.one(`SELECT id FROM ${table} WHERE id = ? FOR UPDATE`, [id]));
    const outcomes = contenders.map((act) =>
      act().then(
        (won): Outcome<T> => ({ won }),
        (err: unknown): Outcome<T> => {
          if (!(err instanceof ConflictError)) throw err;
          return { conflict: err.current };
        },
      ),
    );
    try {
      await expect.poll(() => waitingUpdates(table), { timeout: 10_000, interval: 20 }).toBe(contenders.length);
    } finally {
      await held.release();
    }
    return Promise.all(outcomes);
  }

  it("two edits of one rule at once: one wins, the other gets a 409 with the winner's rule, never undoing its change; one audit row", async () => {
    const channel = await hook();
    const rule = await createRule({ name: "Rate", trigger: "threshold", channelIds: [channel.id], threshold: { count: 5, windowMinutes: 10 } }, by);
    const results = await raceOnHeldRow<RuleSummary>("alert_rules", rule.id, [() => updateRule(rule.id, { name: "Renamed" }, by), () => updateRule(rule.id, { enabled: false }, by)]);
    const won = results.flatMap((r) => ("won" in r ? [r.won] : []));
    const lost = results.flatMap((r) => ("conflict" in r ? [r.conflict] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual([won[0]]);
    expect(await getRule(rule.id)).toEqual(won[0]);
    expect((await auditRows()).filter((r) => r.action === "alert_rule_changed")).toHaveLength(1);
  });

  it("two rotations of one channel's secret at once: one wins and its secret is the one kept, the other 409; one audit row", async () => {
    const channel = await hook();
    const results = await raceOnHeldRow("alert_channels", channel.id, [() => rotateChannelSecret(channel.id, by), () => rotateChannelSecret(channel.id, by)]);
    const won = results.flatMap((r) => ("won" in r ? [r.won.secret] : []));
    expect(won).toHaveLength(1);
    expect(results.filter((r) => "conflict" in r)).toHaveLength(1);
    expect((await storedChannel(channel.id))!.secret).toBe(won[0]);
    expect((await auditRows()).filter((r) => r.action === "alert_channel_secret_rotated")).toHaveLength(1);
  });
});
