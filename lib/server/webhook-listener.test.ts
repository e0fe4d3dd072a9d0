import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "@/lib/ingest/limits";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import {
  clearIntakeTables,
  dataTableCounts,
  failureRows,
  rawEventRows,
  rowCounts,
  TEST_WEBHOOK_SECRET,
  setupTempDatabase,
} from "@/lib/testing/temp-db";
import { describeCall, expectAccepted, expectError, type WebhookAnswer, type WebhookCall } from "@/lib/testing/webhook-client";
import { WEBHOOK_PATH } from "./webhook-listener";
import { startWebhookServer, type WebhookTestServer } from "@/lib/testing/webhook-server";

const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });

let webhooks: WebhookTestServer;
let origin = "";

beforeAll(async () => {
  webhooks = await startWebhookServer();
  origin = webhooks.origin;
});
afterAll(async () => {
  await webhooks.close();
  tempDb.cleanup();
});
beforeEach(() => clearIntakeTables());

async function send(call: WebhookCall, init: RequestInit = {}, path = WEBHOOK_PATH): Promise<WebhookAnswer> {
  const { query, headers, body } = describeCall(call, TEST_WEBHOOK_SECRET);
  const response = await fetch(`${origin}${path}${query}`, { method: "POST", headers, body, ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

function expectNothingStored() {
  expect(rowCounts()).toEqual({ raw: 0, failures: 0, templateStatus: 0 });
  for (const [table, rows] of Object.entries(dataTableCounts())) expect(rows, table).toBe(0);
}

/** A raw node:http request that declares `contentLength` but sends only `send` bytes, then waits for the answer. */
function declaredOnly(contentLength: number, sent: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${WEBHOOK_PATH}?token=${TEST_WEBHOOK_SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": contentLength },
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on("error", reject);
    req.write(sent);
  });
}

describe("serveWebhook over real HTTP", () => {
  it("stores a delivery and answers 200 with the JSON body and no-store", async () => {
    const event = failureEvent({ user_session_keys: { deployment_squad: "DS_573009998877" }, line: undefined });
    const answer = await send({ body: event });
    expectAccepted(answer, 1);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(rawEventRows()[0]!.payload).toBe(JSON.stringify(event));
    expect(failureRows()[0]).toMatchObject({ reason: "FAILURE_BY_TIER_CAPACITY", line: "+573009998877", template: "welcome_v2" });
  });

  it.each([["query"], ["bearer"], ["header"]] as const)("accepts the token via %s", async (via) => {
    expectAccepted(await send({ body: failureEvent(), via }), 1);
  });

  it("rejects a missing or wrong token with 401", async () => {
    expectError(await send({ body: failureEvent(), via: "none" }), 401, "unauthorized");
    expectError(await send({ body: failureEvent(), via: "bearer", token: "not-the-secret-at-all" }), 401, "unauthorized");
    expectNothingStored();
  });

  it("rejects a non-JSON content type with 415", async () => {
    expectError(await send({ body: JSON.stringify(failureEvent()), contentType: "text/plain" }), 415, "unsupported_media_type");
    expectError(await send({ body: new TextEncoder().encode(JSON.stringify(failureEvent())), contentType: null }), 415);
    expectNothingStored();
  });

  it("rejects malformed JSON and invalid UTF-8 with 400", async () => {
    expectError(await send({ body: '{"event_type":' }), 400, "invalid_json");
    expectError(await send({ body: Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) }), 400, "invalid_encoding");
    expectNothingStored();
  });

  it("refuses a mis-framed batch whole, quarantines bad content beside good events, and keeps each element verbatim", async () => {
    const misframed = [failureEvent(), "not an event"];
    const error = expectError(await send({ body: misframed }), 400, "invalid_payload");
    expect(error.details?.[0]?.path).toBe("[1]");
    expectNothingStored();

    const mixed = [failureEvent(), { event_type: "hsm.status", event_id: nextEventId(), hsm: { name: "t" } }];
    expectAccepted(await send({ body: mixed }), 1, 0, 1);
    expect(rowCounts()).toEqual({ raw: 2, failures: 1, templateStatus: 0 });
    clearIntakeTables();

    const elements = ['{"reason":"revoked" , "sender":"573001112233"}', '{\n "event_type":"conversation.closed"\n}'];
    expectAccepted(await send({ body: `[ ${elements[0]},\n\t${elements[1]} ]` }), 2);
    expect(rawEventRows().map((r) => r.payload)).toEqual(elements);
    expect(rowCounts()).toEqual({ raw: 2, failures: 1, templateStatus: 0 });
  });

  it("answers a repeated event_id with 200 and duplicates:1", async () => {
    const event = failureEvent();
    expectAccepted(await send({ body: event }), 1);
    expectAccepted(await send({ body: event }), 0, 1);
    expect(rowCounts()).toEqual({ raw: 1, failures: 1, templateStatus: 0 });
  });

  it("rejects a declared Content-Length over 1 MiB with 413 before the body arrives", async () => {
    // Only a few bytes are ever sent: the answer must come without waiting for the declared body.
    const answer = await declaredOnly(MAX_BODY_BYTES + 1, '{"event_type":');
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large" } });
    expect(answer.headers.connection).toBe("close");
    expectNothingStored();
  });

  it("rejects a fetch body over 1 MiB (Content-Length set by fetch) with 413", async () => {
    const body = JSON.stringify(failureEvent({ padding: "x".repeat(MAX_BODY_BYTES) }));
    expectError(await send({ body }), 413, "payload_too_large");
    expectNothingStored();
  });

  it("rejects a chunked body over 1 MiB (no Content-Length) with 413", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"event_type":"deployment.failure","pad":"'));
        sent += chunk.length;
        if (sent > MAX_BODY_BYTES + 128 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const answer = await send({ body: "" }, { body: stream, duplex: "half" } as RequestInit);
    expectError(answer, 413, "payload_too_large");
    expectNothingStored();
  });

  it("serves only the webhook path; other paths go to the next handler", async () => {
    const other = await fetch(`${origin}/api/webhooks/trebleX?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", body: "{}" });
    expect(other.status).toBe(404);
    expect(await other.text()).toBe("not the webhook");
    expectAccepted(await send({ body: failureEvent() }, {}, `${WEBHOOK_PATH}/`), 1);
  });

  it("answers GET with 405", async () => {
    const response = await fetch(`${origin}${WEBHOOK_PATH}?token=${TEST_WEBHOOK_SECRET}`);
    expectError({ status: response.status, headers: response.headers, json: await response.json() }, 405, "method_not_allowed");
  });

  it("stores every one of many concurrent deliveries (group commit) before answering", async () => {
    const events = Array.from({ length: 100 }, () => failureEvent());
    const answers = await Promise.all(events.map((body) => send({ body })));
    for (const answer of answers) expectAccepted(answer, 1);
    expect(rowCounts()).toEqual({ raw: 100, failures: 100, templateStatus: 0 });
  });
});
