import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Engine } from "@/db/engine";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { clearDataTables, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectAccepted, expectError, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { GET as getFailure } from "../failures/[id]/route";
import { GET as unavailableTemplates } from "../templates/unavailable/route";
import { POST as webhook } from "../webhooks/treble/route";
import { GET as listSessions } from "./route";

// Closed sessions, unavailable templates and clock skew as the dashboard reads them, fed through
// the real webhook route, on both engines.
// The first read starts a worker that compiles its module in tests (not in production): on a
// loaded machine that alone ran past the default 10 s deadline, which this file does not test.
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const BASE = "http://localhost:3000";
async function answerOf(response: Response): Promise<WebhookAnswer> {
  return { status: response.status, headers: response.headers, json: await response.json() };
}
const send = async (body: unknown) =>
  answerOf(await webhook(new Request(`${BASE}/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })));

const HOUR = 3_600_000;
const sessionClose = (closedAt: number, fields: Record<string, unknown> = {}) => ({
  event_type: "session.close",
  event_id: nextEventId("session"),
  session: { external_id: nextEventId("conv"), closed_at: new Date(closedAt).toISOString() },
  user: { country_code: "57", cellphone: "3051234567" },
  company: { id: 1, cellphone: "573001112233" },
  hsm: { name: "welcome_v2" },
  messages: [],
  ...fields,
});

describe.each(ENGINES)("on %s", (name) => {
  let engine: Engine;
  let viewer: TestUser;
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens.
    await webhookSecretAtStart();
    await readFieldMapping();
    viewer = await createTestUser("viewer");
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach(() => clearDataTables(engine));

  const get = async <C>(handler: (r: Request, c: C) => Promise<Response>, path: string, context?: C) =>
    answerOf(await handler(new Request(`${BASE}${path}`, { headers: viewer.headers }), context as C));

  describe("GET /api/sessions", () => {
    it("lists sessions closed in the window on a line or template, newest first, paged", async () => {
      const now = Date.now();
      expectAccepted(
        await send([
          sessionClose(now - 1 * HOUR),
          sessionClose(now - 2 * HOUR),
          sessionClose(now - 3 * HOUR, { hsm: null }),
          sessionClose(now - 4 * HOUR, { company: { cellphone: "573009998877" } }),
          sessionClose(now - 30 * HOUR),
        ]),
        5,
      );
      const line = encodeURIComponent("+573001112233");
      const page = (await get(listSessions, `/api/sessions?range=24h&line=${line}&limit=2`)).json as {
        items: Array<{ closedAt: string; template: string | null; line: string; phoneE164: string }>;
        nextCursor: string;
        total: number;
      };
      expect(page.total).toBe(3);
      expect(page.items.map((s) => Date.parse(s.closedAt))).toEqual([now - HOUR, now - 2 * HOUR]);
      expect(page.items[0]).toMatchObject({ line: "+573001112233", template: "welcome_v2", phoneE164: "+573051234567", messageCount: 0 });
      const rest = (await get(listSessions, `/api/sessions?range=24h&line=${line}&limit=2&cursor=${page.nextCursor}`)).json as typeof page;
      expect(rest.items.map((s) => s.template)).toEqual([null]);
      expect(rest.nextCursor).toBeNull();

      const byTemplate = (await get(listSessions, "/api/sessions?range=7d&template=welcome_v2")).json as typeof page;
      expect(byTemplate.total).toBe(4);
      const noTemplate = (await get(listSessions, "/api/sessions?range=24h&template=(unknown)")).json as typeof page;
      expect(noTemplate.total).toBe(1);
    });

    it("refuses bad filters and paging with 400", async () => {
      expectError(await get(listSessions, "/api/sessions?range=2y"), 400, "invalid_input");
      expectError(await get(listSessions, "/api/sessions?limit=501"), 400, "invalid_input");
    });
  });

  describe("GET /api/templates/unavailable", () => {
    it("lists templates whose latest status is PAUSED, DISABLED or REJECTED", async () => {
      const at = (h: number) => new Date(Date.now() - h * HOUR).toISOString();
      const status = (name: string, value: string, hoursAgo: number) => ({ event_type: "hsm.status", event_id: nextEventId(), timestamp: at(hoursAgo), name, status: value });
      expectAccepted(
        await send([
          status("promo", "APPROVED", 10),
          status("promo", "PAUSED", 2),
          status("welcome", "DISABLED", 5),
          status("welcome", "APPROVED", 1),
          status("legacy", "REJECTED", 30),
          status("fresh", "APPROVED", 1),
        ]),
        6,
      );
      const items = ((await get(unavailableTemplates, "/api/templates/unavailable")).json as { items: Array<{ template: string; status: string; since: string }> }).items;
      expect(items.map((t) => [t.template, t.status])).toEqual([
        ["promo", "PAUSED"],
        ["legacy", "REJECTED"],
      ]);
    });
  });

  describe("clock skew in a failure's detail", () => {
    it("says what time the event sent when the receipt time replaced it", async () => {
      const sent = Date.now() + 2 * HOUR;
      expectAccepted(await send([failureEvent({ timestamp: new Date(sent).toISOString() }), failureEvent()]), 2);
      const [skewed, normal] = (await engine.query<{ id: number }>("SELECT id FROM failures ORDER BY id")).map((r) => r.id);
      const detail = (await get(getFailure, `/api/failures/${skewed}`, { params: Promise.resolve({ id: String(skewed) }) })).json as Record<string, unknown>;
      expect(detail.sentOccurredAt).toBe(new Date(sent).toISOString());
      expect(detail.occurredAt).toBe(detail.receivedAt);
      expect(Date.parse(detail.occurredAt as string)).toBeLessThanOrEqual(Date.now());
      const plain = (await get(getFailure, `/api/failures/${normal}`, { params: Promise.resolve({ id: String(normal) }) })).json as Record<string, unknown>;
      expect(plain.sentOccurredAt).toBeNull();
    });
  });
});
