import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";
import { GET, POST } from "./route";

// With WEBHOOK_SECRET set, the environment owns the secret: it is shown, never rotated here.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, PUBLIC_URL: "https://faultline.example.com/" });
afterAll(() => tempDb.cleanup());

let admin: TestUser;
beforeAll(async () => {
  admin = await createTestUser("admin");
});

const request = (method: string, body?: unknown) =>
  new Request("http://127.0.0.1:3000/api/webhook-secret", { method, headers: { ...admin.headers, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

describe("/api/webhook-secret with WEBHOOK_SECRET", () => {
  it("shows the env secret in a URL on PUBLIC_URL", async () => {
    const response = await GET(request("GET"));
    expect(await response.json()).toEqual({
      secret: TEST_WEBHOOK_SECRET,
      source: "env",
      previousValidUntil: null,
      url: `https://faultline.example.com/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`,
    });
  });

  it("refuses to rotate it (409), pointing at the variable", async () => {
    const response = await POST(request("POST", { graceHours: 24 }));
    const error = expectError({ status: response.status, headers: response.headers, json: await response.json() }, 409, "conflict");
    expect(error.message).toContain("WEBHOOK_SECRET");
  });
});
