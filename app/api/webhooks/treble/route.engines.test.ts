import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { readFieldMapping, replaceFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { POST } from "./route";

// The webhook endpoint on the process's engine: with PostgreSQL selected, events are committed to
// PostgreSQL (its group committer), checked against the secret and field mapping kept there.
// No WEBHOOK_SECRET: each engine's database generates and keeps its own.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: undefined, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const by = { actor: { id: null, email: "admin@test.example" }, ip: null };

async function post(token: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await POST(
    new Request(`http://localhost/api/webhooks/treble?token=${encodeURIComponent(token)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe.each(ENGINES)("POST /api/webhooks/treble on %s", (name) => {
  let engine: Engine;
  let secret: string;
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens.
    secret = (await webhookSecretAtStart()).secret;
    await readFieldMapping();
  }, CLUSTER_START_TIMEOUT_MS);

  const count = async (table: string, where = "1 = 1", params: string[] = []) => (await engine.one<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params))!.n;

  it("answers 200 once the events are committed to this engine's database: accepted, duplicates and quarantined counted", async () => {
    const line = `+5730099${name === "sqlite" ? "10001" : "20001"}`;
    const first = failureEvent({ line });
    const second = failureEvent({ line, failure_reason: "INVALID_PHONE", user: { country_code: "57", cellphone: "3059990001" } });
    const unreadable = { event_type: "deployment.failure", event_id: `no-reason-${name}`, error: { code: 131026 } };
    const answer = await post(secret, [first, second, first, unreadable]);
    expect(answer).toEqual({ status: 200, json: { ok: true, accepted: 2, duplicates: 1, quarantined: 1 } });
    expect(await count("failures", "line = ?", [line])).toBe(2);
    expect(await count("incidents", "line_key = ?", [line])).toBe(2);
    expect(await count("raw_events", "problems IS NOT NULL")).toBe(1);

    // Sent again (Treble retries): all duplicates, nothing added.
    expect((await post(secret, [first, second])).json).toEqual({ ok: true, accepted: 0, duplicates: 2, quarantined: 0 });
    expect(await count("failures", "line = ?", [line])).toBe(2);
  });

  it("reads a reason where this engine's field mapping says", async () => {
    await replaceFieldMapping({ reason: ["outcome.code"] }, by);
    const line = `+5730099${name === "sqlite" ? "10002" : "20002"}`;
    const event = failureEvent({ line, failure_reason: undefined, outcome: { code: "FAILURE_BY_OPTOUT_CONTACT" } });
    expect((await post(secret, event)).json).toMatchObject({ accepted: 1, quarantined: 0 });
    expect(await engine.query("SELECT reason FROM failures WHERE line = ?", [line])).toEqual([{ reason: "FAILURE_BY_OPTOUT_CONTACT" }]);
    await replaceFieldMapping({}, by);
  });

  it("refuses a token that is not this database's secret with 401, storing nothing", async () => {
    const before = await count("raw_events");
    const answer = await post(`${secret}x`, failureEvent());
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: { code: "unauthorized" } });
    expect(await count("raw_events")).toBe(before);
  });
});
