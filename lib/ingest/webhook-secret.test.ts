import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getEngine } from "@/db/client";
import { POST as postWebhook } from "@/app/api/webhooks/treble/route";
import { ConflictError, InvalidInputError } from "@/lib/http/errors";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { readFieldMapping } from "./field-mapping";
import { ensureWebhookSecret, isValidWebhookToken, rotateWebhookSecret, webhookSecretAtStart, webhookSecretStatus } from "./webhook-secret";
import { holdLock } from "@/lib/testing/hold-lock";

// No WEBHOOK_SECRET in this file's process: the secret is generated and kept in the database.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: undefined, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => databases.cleanup());

const HOUR = 3_600_000;
const by = { actor: { id: "u1", email: "admin@test.example" }, ip: "203.0.113.9" };
const valid = (token: string, now: number) => isValidWebhookToken(token, now);
const audit = () => getEngine().query<{ actor_email: string; detail: string; ip: string; at: number }>("SELECT actor_email, detail, ip, at FROM audit_log WHERE action = 'webhook_secret_rotated' ORDER BY id");

describe.each(ENGINES)("webhook secret on %s", (engine) => {
  beforeAll(async () => {
    await databases.use(engine);
    await readFieldMapping(); // the webhook endpoint's other cache, as at start
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await getEngine().exec("DELETE FROM settings");
    await getEngine().exec("DELETE FROM audit_log");
  });

  it("generates a strong secret on the first start only, keeps it, and accepts exactly it as a token", async () => {
    const now = Date.now();
    const first = await webhookSecretAtStart(now);
    expect(first).toMatchObject({ source: "database", generatedNow: true });
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(await webhookSecretAtStart(now)).toEqual({ ...first, generatedNow: false });
    expect(await ensureWebhookSecret()).toEqual({ secret: first.secret, source: "database" });

    expect(valid(first.secret, now)).toBe(true);
    expect(valid(`${first.secret}x`, now)).toBe(false);
    expect(valid(first.secret.slice(1), now)).toBe(false);
    expect(valid("", now)).toBe(false);
  });

  it("keeps the previous secret valid for the grace period, to the millisecond, then refuses it; the rotation is audited", async () => {
    const t0 = Date.parse("2026-11-25T10:00:00Z");
    const before = (await webhookSecretAtStart(t0)).secret;
    const status = await rotateWebhookSecret({ graceHours: 24 }, by, t0);
    expect(status).toMatchObject({ source: "database", previousValidUntil: "2026-11-26T10:00:00.000Z" });
    expect(status.secret).not.toBe(before);

    expect(valid(status.secret, t0)).toBe(true);
    expect(valid(before, t0)).toBe(true);
    expect(valid(before, t0 + 24 * HOUR - 1)).toBe(true);
    expect(valid(before, t0 + 24 * HOUR)).toBe(false);
    expect(valid(status.secret, t0 + 24 * HOUR)).toBe(true);
    // A freshly loaded cache never lets an expired secret through either.
    await webhookSecretAtStart(t0 + 24 * HOUR - 500);
    expect(valid(before, t0 + 24 * HOUR - 500)).toBe(true);
    expect(valid(before, t0 + 24 * HOUR + 1)).toBe(false);
    expect((await webhookSecretStatus(t0 + 24 * HOUR)).previousValidUntil).toBeNull();

    expect(await audit()).toEqual([{ actor_email: "admin@test.example", detail: "previous secret accepted until 2026-11-26T10:00:00.000Z", ip: "203.0.113.9", at: t0 }]);
  });

  it("drops the secret of an earlier rotation, and with no grace refuses the old one at once", async () => {
    const t0 = Date.now();
    const first = (await webhookSecretAtStart(t0)).secret;
    const second = (await rotateWebhookSecret({ graceHours: 1 }, by, t0)).secret;
    expect(valid(first, t0 + 1)).toBe(true);
    const third = (await rotateWebhookSecret({ graceHours: 0 }, by, t0 + 2)).secret;
    expect(valid(first, t0 + 3)).toBe(false);
    expect(valid(second, t0 + 3)).toBe(false);
    expect(valid(third, t0 + 3)).toBe(true);
    expect((await webhookSecretStatus(t0 + 3)).previousValidUntil).toBeNull();
    expect((await audit()).map((a) => a.detail)).toEqual([`previous secret accepted until ${new Date(t0 + HOUR).toISOString()}`, "previous secret refused at once"]);
  });

  it("accepts only the offered grace periods (400 invalid_input), changing nothing", async () => {
    const { secret } = await webhookSecretAtStart();
    for (const graceHours of [2, -1, "24", undefined]) {
      const refused = rotateWebhookSecret({ graceHours }, by);
      await expect(refused, String(graceHours)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(refused).rejects.toMatchObject({ code: "invalid_input" });
    }
    expect((await ensureWebhookSecret()).secret).toBe(secret);
    expect(await audit()).toEqual([]);
  });

  it("takes a rotation made elsewhere (another instance) into the cache within a second, without the hot path waiting for it", async () => {
    const t0 = Date.now();
    const old = (await webhookSecretAtStart(t0)).secret;
    await getEngine().exec("UPDATE settings SET value = 'rotated-on-another-instance-0123' WHERE key = 'webhook_secret'");
    expect(valid("rotated-on-another-instance-0123", t0 + 999)).toBe(false);
    // A second later the check still answers from memory, and starts a re-read in the background.
    expect(valid(old, t0 + 1000)).toBe(true);
    await vi.waitFor(() => expect(valid("rotated-on-another-instance-0123", t0 + 1000)).toBe(true));
    expect(valid(old, t0 + 1000)).toBe(false);
  });

  it("answers 401 through the webhook endpoint once the grace period is over", async () => {
    const post = (token: string) =>
      postWebhook(new Request(`http://localhost:3000/api/webhooks/treble?token=${encodeURIComponent(token)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(failureEvent()) }));
    // Rotated 25 hours ago with a 24-hour grace: the old secret has expired by now.
    const expired = (await webhookSecretAtStart()).secret;
    const current = (await rotateWebhookSecret({ graceHours: 24 }, by, Date.now() - 25 * HOUR)).secret;
    expect((await post(expired)).status).toBe(401);
    expect((await post(current)).status).toBe(200);
    // Rotated now with a 1-hour grace: both work until then.
    const next = (await rotateWebhookSecret({ graceHours: 1 }, by)).secret;
    expect((await post(current)).status).toBe(200);
    expect((await post(next)).status).toBe(200);
  });
});

describe("webhook secret rotation race on postgres", () => {
  beforeAll(() => databases.use("postgres"), CLUSTER_START_TIMEOUT_MS);

  const waitingUpdates = async () =>
    (await getEngine().one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE settings SET %'",
    ))!.n;

  it("two rotations at once: one wins, the other that read the same secret gets a 409 conflict; one audit row, the winner's secret kept", async () => {
    await getEngine().exec("DELETE FROM audit_log");
    const old = (await webhookSecretAtStart()).secret;
    // A third connection holds the secret's row lock until PostgreSQL shows both rotations'
    // UPDATEs waiting on it: both transactions read the old secret and are open at once.
    const held = await holdLock(getEngine(), (tx) => tx.one("SELECT key FROM settings WHERE key = 'webhook_secret' FOR UPDATE"));
    const outcomes = [0, 1].map(() =>
      rotateWebhookSecret({ graceHours: 1 }, by).then(
        (status) => ({ won: status.secret }),
        (err: unknown) => {
          if (!(err instanceof ConflictError)) throw err;
          return { conflict: err.code };
        },
      ),
    );
    await expect.poll(waitingUpdates, { timeout: 10_000, interval: 20 }).toBe(2);
    await held.release();
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => "conflict" in r)).toEqual([{ conflict: "conflict" }]);
    const winner = results.find((r) => "won" in r) as { won: string };
    expect((await ensureWebhookSecret()).secret).toBe(winner.won);
    expect(valid(winner.won, Date.now())).toBe(true);
    expect(valid(old, Date.now())).toBe(true); // within the winner's grace hour
    expect(await audit()).toHaveLength(1);
  });
});
