import { spawn } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { reprocessQuarantined } from "@/lib/ingest/reprocess";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearDataTables, TEST_WEBHOOK_SECRET, type RowCounts } from "@/lib/testing/temp-db";
import { expectAccepted, expectError, expectQuarantined, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { GET as getMapping, PUT as putMapping } from "../settings/field-mapping/route";
import { POST as webhook } from "../webhooks/treble/route";
import { GET as listQuarantined } from "./quarantined/route";
import { POST as reprocess } from "./reprocess/route";

// Quarantine, field mapping and re-processing over the real routes, on a temporary SQLite file
// and on a throwaway PostgreSQL database.
// A long QUERY_TIMEOUT_MS: in tests the first read starts a worker that compiles its module, which
// alone ran past the 10 s default on a loaded machine (deadlines are not what this file tests).
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const BASE = "http://localhost:3000";
// Each engine's database has its own admin, made in its describe's beforeAll.
let admin: TestUser;

async function answerOf(response: Response): Promise<WebhookAnswer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

function call(handler: (request: Request) => Promise<Response>, path: string, method = "GET", body?: unknown): Promise<WebhookAnswer> {
  const headers = { ...admin.headers, "content-type": "application/json" };
  return handler(new Request(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).then(answerOf);
}

const send = async (body: unknown) =>
  answerOf(
    await webhook(
      new Request(`${BASE}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    ),
  );

/** Events whose reason sits where no built-in name looks (Treble could name it anything). */
function unguessedEvents() {
  return [
    { event_type: "deployment.failure", event_id: nextEventId("unguessed"), timestamp: "2026-11-25T14:02:00Z", status: "invalid_phone", user: { country_code: "57", cellphone: "3051234567" }, hsm: { name: "promo" } },
    { event_type: "deployment.failure", event_id: nextEventId("unguessed"), timestamp: "2026-11-25T15:30:00Z", data: { error: { code: "FAILURE_BY_TIER_CAPACITY" } }, line: "573001112233" },
    { event_type: "deployment.failure", event_id: nextEventId("unguessed"), timestamp: "2026-11-25T15:31:00Z", data: { error: { code: "FAILURE_BY_TIER_CAPACITY" } }, line: "573001112233", user: { country_code: "57", cellphone: "3059990000" } },
  ];
}

describe.each(ENGINES)("on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens.
    await webhookSecretAtStart();
    await readFieldMapping();
    admin = await createTestUser("admin");
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    await clearDataTables(engine);
    await call(putMapping, "/api/settings/field-mapping", "PUT", {});
  });

  const count = async (sql: string) => (await engine.one<{ n: number }>(sql))!.n;
  const rowCounts = async (): Promise<RowCounts> => ({
    raw: await count("SELECT count(*) AS n FROM raw_events"),
    failures: await count("SELECT count(*) AS n FROM failures"),
    templateStatus: await count("SELECT count(*) AS n FROM template_status_events"),
  });

  /** Everything derived from failures, without row ids: what must be identical however a failure arrived. */
  async function derivedState() {
    const all = (sql: string, params: Param[] = []) => engine.query(sql, params);
    return {
      failures: await all(
        `SELECT r.dedupe_key, f.occurred_at, r.received_at, f.reason, f.reason_known, f.line, f.template, f.country_code, f.cellphone, f.phone_e164
         FROM failures f JOIN raw_events r ON r.id = f.raw_event_id ORDER BY r.dedupe_key`,
      ),
      incidents: await all("SELECT reason, line_key, template_key, status, first_seen, last_seen, failures, contacts FROM incidents ORDER BY reason, line_key, template_key"),
      rollups: await Promise.all(
        ["rollup_quarter_reason", "rollup_hour_reason", "rollup_day_reason", "rollup_hour_line", "rollup_hour_template", "rollup_day_line", "rollup_day_template"].map((t) =>
          all(`SELECT * FROM ${t} ORDER BY 1, 2, 3`),
        ),
      ),
      // The cube's incident ids are those of each row's key (ids differ between the two stores).
      cubes: await Promise.all(
        ["rollup_hour", "rollup_day"].map((t) =>
          all(`SELECT r.bucket, r.reason, r.line, r.template, r.failures, i.reason = r.reason AND i.line_key = r.line AND i.template_key = r.template AS keyed
               FROM ${t} r LEFT JOIN incidents i ON i.id = r.incident_id ORDER BY 1, 2, 3, 4`),
        ),
      ),
      sketches: await all("SELECT bucket, reason, registers FROM contact_sketch_hour ORDER BY 1, 2"),
      // SQLite's phone index is an FTS5 table ingest keeps (every phone must be in it); PostgreSQL's
      // trigram indexes are kept by the server itself.
      phones: await all(
        engine.dialect.name === "sqlite"
          ? "SELECT p.phone_e164, p.cellphone, x.rowid IS NOT NULL AS indexed FROM contact_phones p LEFT JOIN contact_phones_fts x ON x.rowid = p.id ORDER BY 1, 2"
          : "SELECT phone_e164, cellphone FROM contact_phones ORDER BY 1, 2",
      ),
      contacts: await all("SELECT i.reason, c.contact FROM incident_contacts c JOIN incidents i ON i.id = c.incident_id ORDER BY 1, 2"),
    };
  }

  describe("GET /api/events/quarantined", () => {
    it("lists quarantined events newest first with their problems and exact payload, paged by cursor", async () => {
      const texts = ['{"event_type":"deployment.failure","n":1}', '{ "event_type" : "deployment.failure", "n": 2 }', '{"n":3,"timestamp":"soon"}'];
      for (const text of texts) expectQuarantined(await send(text), 1);
      expectAccepted(await send(failureEvent()), 1);

      const first = await call(listQuarantined, "/api/events/quarantined?limit=2");
      expect(first.status, JSON.stringify(first.json)).toBe(200);
      const page = first.json as { items: Array<Record<string, unknown>>; nextCursor: string | null; total: number };
      expect(page.total).toBe(3);
      expect(page.items.map((i) => i.payload)).toEqual([texts[2], texts[1]]);
      expect(page.items[0]).toEqual({
        id: expect.any(Number),
        receivedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
        eventType: null,
        problems: [
          { path: "event_type", message: "is required" },
          { path: "timestamp", message: expect.stringContaining("ISO 8601") },
        ],
        payload: texts[2],
      });
      expect(page.items[1]).toMatchObject({ eventType: "deployment.failure", problems: [{ path: "failure_reason", message: expect.stringMatching(/required/) }] });

      const second = (await call(listQuarantined, `/api/events/quarantined?limit=2&cursor=${page.nextCursor}`)).json as typeof page;
      expect(second.items.map((i) => i.payload)).toEqual([texts[0]]);
      expect(second.nextCursor).toBeNull();
    });

    it("refuses a bad limit or cursor with 400", async () => {
      expectError(await call(listQuarantined, "/api/events/quarantined?limit=501"), 400, "invalid_input");
      expectError(await call(listQuarantined, "/api/events/quarantined?limit=0"), 400, "invalid_input");
      expectError(await call(listQuarantined, "/api/events/quarantined?cursor=nope"), 400, "invalid_input");
    });
  });

  describe("GET|PUT /api/settings/field-mapping", () => {
    it("replaces the mapping and answers it with every key", async () => {
      const saved = await call(putMapping, "/api/settings/field-mapping", "PUT", { reason: ["status", "data.error.code"], eventId: ["meta.id"] });
      const expected = { reason: ["status", "data.error.code"], line: [], template: [], contact: [], countryCode: [], timestamp: [], eventId: ["meta.id"] };
      expect(saved.status).toBe(200);
      expect(saved.json).toEqual(expected);
      expect((await call(getMapping, "/api/settings/field-mapping")).json).toEqual(expected);
      // PUT replaces: keys left out are cleared.
      await call(putMapping, "/api/settings/field-mapping", "PUT", { line: ["from"] });
      expect((await call(getMapping, "/api/settings/field-mapping")).json).toMatchObject({ reason: [], eventId: [], line: ["from"] });
      expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'field_mapping_changed'")).toBeGreaterThanOrEqual(2);
    });

    it.each([
      [{ reasons: ["x"] }, "reasons"],
      [{ reason: "status" }, "reason"],
      [{ reason: ["ok", "bad..path"] }, "reason.1"],
      [{ line: [""] }, "line.0"],
      [{ template: ["has space"] }, "template.0"],
      [{ contact: Array.from({ length: 21 }, (_, i) => `p${i}`) }, "contact"],
      [{ timestamp: ["x".repeat(201)] }, "timestamp.0"],
    ])("refuses %j with 400 naming %s, keeping the stored mapping", async (body, key) => {
      await call(putMapping, "/api/settings/field-mapping", "PUT", { reason: ["status"] });
      const error = expectError(await call(putMapping, "/api/settings/field-mapping", "PUT", body), 400);
      expect(error.details?.map((d) => d.path)).toContain(key);
      expect(error.message).toContain(key.split(".")[0]);
      expect((await call(getMapping, "/api/settings/field-mapping")).json).toMatchObject({ reason: ["status"] });
    });

    it("is applied to the next webhook from memory: the webhook does not re-read it per request", async () => {
      const event = () => ({ event_type: "deployment.failure", event_id: nextEventId(), status: "REVOKED" });
      expectQuarantined(await send(event()), 1);
      await call(putMapping, "/api/settings/field-mapping", "PUT", { reason: ["status"] });
      expectAccepted(await send(event()), 1);
      // A change written behind the API's back is not seen until the cache is refreshed.
      await engine.exec("UPDATE settings SET value = ? WHERE key = 'field_mapping'", [JSON.stringify({ reason: [] })]);
      expectAccepted(await send(event()), 1);
      await readFieldMapping();
      expectQuarantined(await send(event()), 1);
    });
  });

  describe("POST /api/events/reprocess", () => {
    it("turns quarantined events into failures once, exactly as if they had arrived with the mapping", async () => {
      const events = unguessedEvents();
      const junk = { event_type: "deployment.failure", event_id: nextEventId("junk"), nothing: true };
      expectQuarantined(await send([...events, junk]), 4);
      const receivedAt = (await engine.one<{ received_at: number }>("SELECT received_at FROM raw_events ORDER BY id LIMIT 1"))!.received_at;
      expect(await count("SELECT count(*) AS n FROM failures")).toBe(0);

      await call(putMapping, "/api/settings/field-mapping", "PUT", { reason: ["status", "data.error.code"] });
      const first = await call(reprocess, "/api/events/reprocess", "POST", { scope: "quarantined" });
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ processed: 4, accepted: 3, stillQuarantined: 1 });
      const afterFirst = await derivedState();
      expect(afterFirst.failures).toHaveLength(3);
      // Their original receipt time, not the time of re-processing.
      expect(afterFirst.failures.every((f) => (f as { received_at: number }).received_at === receivedAt)).toBe(true);
      expect(await rowCounts()).toEqual({ raw: 4, failures: 3, templateStatus: 0 });
      expect(await count("SELECT count(*) AS n FROM raw_events WHERE problems IS NOT NULL")).toBe(1);

      // Twice: nothing more.
      expect((await call(reprocess, "/api/events/reprocess", "POST", { scope: "quarantined" })).json).toEqual({ processed: 1, accepted: 0, stillQuarantined: 1 });
      expect(await derivedState()).toEqual(afterFirst);

      // The same events arriving with the mapping already set derive exactly the same rows.
      await clearDataTables(engine);
      const stamped = (await send(events)).json;
      expect(stamped).toEqual({ ok: true, accepted: 3, duplicates: 0, quarantined: 0 });
      await engine.exec("UPDATE raw_events SET received_at = ?", [receivedAt]);
      const direct = await derivedState();
      expect({ ...direct, incidents: direct.incidents.length }).toEqual({ ...afterFirst, incidents: afterFirst.incidents.length });
      expect(direct.incidents).toEqual(afterFirst.incidents);
    });

    it("re-processes template statuses and sessions too, and refreshes the problems of those still failing", async () => {
      expectQuarantined(await send({ event_type: "hsm.status", event_id: nextEventId(), tpl: "promo", status: "PAUSED" }), 1);
      expectQuarantined(await send({ event_type: "session.close", event_id: nextEventId(), session: { closed_at: "soon" }, when: "2026-11-25T10:00:00Z" }), 1);
      await call(putMapping, "/api/settings/field-mapping", "PUT", { template: ["tpl"] });
      expect((await call(reprocess, "/api/events/reprocess", "POST", { scope: "quarantined" })).json).toEqual({ processed: 2, accepted: 1, stillQuarantined: 1 });
      expect(await engine.query("SELECT template, status FROM template_status_events")).toEqual([{ template: "promo", status: "PAUSED" }]);
      expect(JSON.parse((await engine.one<{ problems: string }>("SELECT problems FROM raw_events WHERE problems IS NOT NULL"))!.problems)).toEqual([
        { path: "session.closed_at", message: expect.any(String) },
      ]);
    });

    it("refuses another scope with 400", async () => {
      expectError(await call(reprocess, "/api/events/reprocess", "POST", { scope: "all" }), 400, "invalid_input");
      expectError(await call(reprocess, "/api/events/reprocess", "POST", {}), 400, "invalid_input");
    });

    it("runs a large backlog in batches while webhooks keep being answered in between", async () => {
      const backlog = Array.from({ length: 600 }, () => ({ event_type: "deployment.failure", event_id: nextEventId("backlog"), status: "FAILURE" }));
      for (let i = 0; i < backlog.length; i += 200) expectQuarantined(await send(backlog.slice(i, i + 200)), 200);
      await call(putMapping, "/api/settings/field-mapping", "PUT", { reason: ["status"] });

      let reprocessDone = false;
      const batchesBefore: number[] = [];
      const running = reprocessQuarantined({ scope: "quarantined" }, { actor: SYSTEM_ACTOR, ip: null, batchSize: 25 }).then((r) => {
        reprocessDone = true;
        return r;
      });
      // Webhooks sent while the re-processing runs are committed between its batches.
      const answered: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        expectAccepted(await send(failureEvent()), 1);
        answered.push(!reprocessDone);
        const released = await engine.query<{ dedupe_key: Buffer }>("SELECT dedupe_key FROM raw_events WHERE problems IS NULL");
        batchesBefore.push(released.filter((r) => decodeDedupeKey(r.dedupe_key).startsWith("backlog")).length);
      }
      expect(await running).toEqual({ processed: 600, accepted: 600, stillQuarantined: 0 });
      // Overlap: some webhooks were answered before the re-processing finished, after part of it.
      expect(answered.filter(Boolean).length).toBeGreaterThan(0);
      expect(batchesBefore.some((n) => n > 0 && n < 600)).toBe(true);
      expect((await rowCounts()).failures).toBe(605);
    });
  });

  describe("npm run events:reprocess", () => {
    it("re-processes the quarantine from the command line", async () => {
      const events = unguessedEvents();
      expectQuarantined(await send(events), 3);
      await call(putMapping, "/api/settings/field-mapping", "PUT", { reason: ["status", "data.error.code"] });
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        // DATABASE_PATH (this file's SQLite database) is inherited; DATABASE_URL selects PostgreSQL's.
        const child = spawn("npm", ["run", "events:reprocess"], {
          cwd: process.cwd(),
          env: { ...process.env, ...(name === "postgres" ? { DATABASE_URL: databases.postgresUrl() } : {}), NODE_ENV: "production" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('{"processed":3,"accepted":3,"stillQuarantined":0}');
      expect(await rowCounts()).toEqual({ raw: 3, failures: 3, templateStatus: 0 });
    }, 60_000);
  });
});
