import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { signPayload } from "@/lib/ingest/signature";
import { failureEvent } from "@/lib/testing/fixtures";
import {
  clearIntakeTables,
  dataTableCounts,
  rawEventRows,
  rowCounts,
  TEST_SIGNING_SECRET,
  TEST_WEBHOOK_SECRET,
  setupTempDatabase,
} from "@/lib/testing/temp-db";
import { describeCall, expectAccepted, expectError, type WebhookAnswer, type WebhookCall } from "@/lib/testing/webhook-client";
import { POST } from "./route";

// This file's process runs with a Standard Webhooks signing secret configured.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: TEST_SIGNING_SECRET });
afterAll(() => tempDb.cleanup());
beforeEach(() => clearIntakeTables());

const ENDPOINT = "http://localhost:3000/api/webhooks/treble";
const OTHER_SECRET = `whsec_${Buffer.from("fedcba9876543210fedcba9876543210").toString("base64")}`;

async function send(call: WebhookCall): Promise<WebhookAnswer> {
  const { query, headers, body } = describeCall(call, TEST_WEBHOOK_SECRET);
  const response = await POST(new Request(`${ENDPOINT}${query}`, { method: "POST", headers, body }));
  return { status: response.status, headers: response.headers, json: await response.json() };
}

/** Standard Webhooks headers for `body`, signed at `secondsAgo` before now. */
function signed(body: string, { secret = TEST_SIGNING_SECRET, secondsAgo = 0, id = "msg_test_1" } = {}) {
  const timestamp = Math.floor(Date.now() / 1000) - secondsAgo;
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signPayload(secret, id, timestamp, body),
  };
}

function expectNothingStored() {
  expect(rowCounts()).toEqual({ raw: 0, failures: 0, templateStatus: 0 });
  for (const [table, rows] of Object.entries(dataTableCounts())) expect(rows, table).toBe(0);
}

describe("POST /api/webhooks/treble with WEBHOOK_SIGNING_SECRET", () => {
  it("accepts a good signature together with the token", async () => {
    const body = JSON.stringify(failureEvent());
    expectAccepted(await send({ body, headers: signed(body) }), 1);
  });

  it("accepts a valid signature without any token", async () => {
    const body = JSON.stringify(failureEvent());
    expectAccepted(await send({ body, via: "none", headers: signed(body) }), 1);
    expect(rowCounts()).toMatchObject({ raw: 1, failures: 1 });
  });

  it("accepts a space-separated signature list where one entry matches (rotation)", async () => {
    const body = JSON.stringify(failureEvent());
    const good = signed(body);
    const old = signed(body, { secret: OTHER_SECRET })["webhook-signature"];
    const headers = { ...good, "webhook-signature": `${old} v1,bm90LWEtc2lnbmF0dXJl ${good["webhook-signature"]}` };
    expectAccepted(await send({ body, via: "none", headers }), 1);
  });

  it("verifies the raw bytes: odd whitespace and non-ASCII are signed as sent and stored verbatim", async () => {
    const body = '{ "event_type" : "deployment.failure",\n\t"failure_reason": "failure", "note": "señal 📶 \\u00f1" }';
    expectAccepted(await send({ body, via: "none", headers: signed(body) }), 1);
    expect(rawEventRows()[0]!.payload).toBe(body);
  });

  it("rejects a signature made with another secret, with 401", async () => {
    const body = JSON.stringify(failureEvent());
    expectError(await send({ body, headers: signed(body, { secret: OTHER_SECRET }) }), 401, "unauthorized");
    expectNothingStored();
  });

  it("rejects a signature of another body (tampered in transit), even with a valid token", async () => {
    const body = JSON.stringify(failureEvent());
    const tampered = body.replace("FAILURE_BY_TIER_CAPACITY", "REVOKED");
    expectError(await send({ body: tampered, headers: signed(body) }), 401, "unauthorized");
    expectError(await send({ body: `${body} `, via: "none", headers: signed(body) }), 401, "unauthorized");
    expectNothingStored();
  });

  it("rejects a signature whose webhook-id was changed", async () => {
    const body = JSON.stringify(failureEvent());
    const headers = { ...signed(body), "webhook-id": "msg_other" };
    expectError(await send({ body, via: "none", headers }), 401, "unauthorized");
    expectNothingStored();
  });

  it("rejects a stale signature (older than 5 minutes) and one from the future", async () => {
    const body = JSON.stringify(failureEvent());
    const stale = expectError(await send({ body, headers: signed(body, { secondsAgo: 5 * 60 + 10 }) }), 401, "unauthorized");
    expect(stale.message).toMatch(/tolerance/);
    expectError(await send({ body, headers: signed(body, { secondsAgo: -(5 * 60 + 10) }) }), 401, "unauthorized");
    expectNothingStored();
  });

  it("accepts a signature made a little under 5 minutes ago", async () => {
    const body = JSON.stringify(failureEvent());
    expectAccepted(await send({ body, via: "none", headers: signed(body, { secondsAgo: 4 * 60 + 50 }) }), 1);
  });

  it.each([["webhook-id"], ["webhook-timestamp"], ["webhook-signature"]] as const)(
    "rejects a missing %s header with 401, even with a valid token",
    async (missing) => {
      const body = JSON.stringify(failureEvent());
      const headers: Record<string, string> = signed(body);
      delete headers[missing];
      expectError(await send({ body, headers }), 401, "unauthorized");
      expectNothingStored();
    },
  );

  it("rejects a request with neither a token nor a signature", async () => {
    expectError(await send({ body: JSON.stringify(failureEvent()), via: "none" }), 401, "unauthorized");
    expectNothingStored();
  });

  it("rejects a wrong token even when the signature is valid", async () => {
    const body = JSON.stringify(failureEvent());
    expectError(await send({ body, token: "wrong-token-wrong-token", headers: signed(body) }), 401, "unauthorized");
    expectNothingStored();
  });

  it("still applies the body checks to a signed request", async () => {
    const body = "{not json";
    expectError(await send({ body, via: "none", headers: signed(body) }), 400, "invalid_json");
    const batch = JSON.stringify([failureEvent(), 42]);
    const error = expectError(await send({ body: batch, via: "none", headers: signed(batch) }), 400, "invalid_payload");
    expect(error.details?.[0]?.path).toBe("[1]");
    expectNothingStored();
  });
});
