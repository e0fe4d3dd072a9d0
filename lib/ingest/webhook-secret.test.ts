import { afterAll, describe, expect, it } from "vitest";
import { closeDb, getDb } from "@/db/client";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { POST as postWebhook } from "@/app/api/webhooks/treble/route";
import { listAudit, SYSTEM_ACTOR } from "@/lib/auth/audit";
import { InvalidInputError } from "@/lib/http/errors";
import { failureEvent } from "@/lib/testing/fixtures";
import { clearWebhookSecretCache, ensureWebhookSecret, isValidWebhookToken, rotateWebhookSecret, webhookSecretStatus } from "./webhook-secret";

// No WEBHOOK_SECRET in this file's process: the secret is generated and kept in the database.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: undefined, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => tempDb.cleanup());

describe("webhook secret without WEBHOOK_SECRET", () => {
  it("generates a strong secret once and keeps it in the database across restarts", () => {
    const first = ensureWebhookSecret(getDb());
    expect(first.source).toBe("database");
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(ensureWebhookSecret(getDb()).secret).toBe(first.secret);

    closeDb(); // as after a restart
    clearWebhookSecretCache();
    expect(ensureWebhookSecret(getDb())).toEqual(first);
  });

  it("accepts exactly the generated secret as a token", () => {
    clearWebhookSecretCache();
    const { secret } = ensureWebhookSecret(getDb());
    expect(isValidWebhookToken(getDb(), secret)).toBe(true);
    expect(isValidWebhookToken(getDb(), `${secret}x`)).toBe(false);
    expect(isValidWebhookToken(getDb(), secret.slice(1))).toBe(false);
    expect(isValidWebhookToken(getDb(), "")).toBe(false);
  });
});

describe("webhook secret rotation", () => {
  const HOUR = 3_600_000;
  const by = (now: number) => ({ actor: SYSTEM_ACTOR, ip: "203.0.113.9", now });

  it("keeps the previous secret valid for the grace period, to the millisecond, then refuses it", async () => {
    clearWebhookSecretCache();
    const t0 = Date.parse("2026-11-25T10:00:00Z");
    const before = ensureWebhookSecret(getDb()).secret;
    const status = rotateWebhookSecret(getDb(), { graceHours: 24 }, by(t0));
    expect(status.secret).not.toBe(before);
    expect(status.previousValidUntil).toBe("2026-11-26T10:00:00.000Z");

    expect(isValidWebhookToken(getDb(), status.secret, t0)).toBe(true);
    expect(isValidWebhookToken(getDb(), before, t0)).toBe(true);
    expect(isValidWebhookToken(getDb(), before, t0 + 24 * HOUR - 1)).toBe(true);
    expect(isValidWebhookToken(getDb(), before, t0 + 24 * HOUR)).toBe(false);
    expect(isValidWebhookToken(getDb(), status.secret, t0 + 24 * HOUR)).toBe(true);
    // The cache never lets an expired secret through, even right after a valid check.
    clearWebhookSecretCache();
    expect(isValidWebhookToken(getDb(), before, t0 + 24 * HOUR - 500)).toBe(true);
    expect(isValidWebhookToken(getDb(), before, t0 + 24 * HOUR + 1)).toBe(false);
    expect(webhookSecretStatus(getDb(), t0 + 24 * HOUR).previousValidUntil).toBeNull();

    const audit = (await listAudit({})).items[0]!;
    expect(audit).toMatchObject({ action: "webhook_secret_rotated", ip: "203.0.113.9", detail: "previous secret accepted until 2026-11-26T10:00:00.000Z" });
  });

  it("drops the secret of an earlier rotation, and with no grace refuses the old one at once", () => {
    const t0 = Date.now();
    const first = ensureWebhookSecret(getDb()).secret;
    const second = rotateWebhookSecret(getDb(), { graceHours: 1 }, by(t0)).secret;
    expect(isValidWebhookToken(getDb(), first, t0 + 1)).toBe(true);
    const third = rotateWebhookSecret(getDb(), { graceHours: 0 }, by(t0 + 2)).secret;
    expect(isValidWebhookToken(getDb(), first, t0 + 3)).toBe(false);
    expect(isValidWebhookToken(getDb(), second, t0 + 3)).toBe(false);
    expect(isValidWebhookToken(getDb(), third, t0 + 3)).toBe(true);
    expect(webhookSecretStatus(getDb(), t0 + 3).previousValidUntil).toBeNull();
  });

  it("accepts only the offered grace periods", () => {
    for (const graceHours of [2, -1, "24", undefined]) {
      expect(() => rotateWebhookSecret(getDb(), { graceHours }, by(Date.now()))).toThrow(InvalidInputError);
    }
  });

  it("answers 401 through the webhook endpoint once the grace period is over", async () => {
    const post = (token: string) =>
      postWebhook(new Request(`http://localhost:3000/api/webhooks/treble?token=${encodeURIComponent(token)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(failureEvent()) }));
    // Rotated 25 hours ago with a 24-hour grace: the old secret has expired by now.
    const expired = ensureWebhookSecret(getDb()).secret;
    const current = rotateWebhookSecret(getDb(), { graceHours: 24 }, by(Date.now() - 25 * HOUR)).secret;
    expect((await post(expired)).status).toBe(401);
    expect((await post(current)).status).toBe(200);
    // Rotated now with a 1-hour grace: both work until then.
    const next = rotateWebhookSecret(getDb(), { graceHours: 1 }, by(Date.now())).secret;
    expect((await post(current)).status).toBe(200);
    expect((await post(next)).status).toBe(200);
  });
});
