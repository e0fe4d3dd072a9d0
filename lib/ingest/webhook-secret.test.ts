import { afterAll, describe, expect, it } from "vitest";
import { closeDb, getDb } from "@/db/client";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { clearWebhookSecretCache, ensureWebhookSecret, isValidWebhookToken } from "./webhook-secret";

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
