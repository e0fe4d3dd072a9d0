import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, Param } from "@/db/engine";
import { decodeDedupeKey, encodeDedupeKey } from "@/lib/ingest/compact-values";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { FAILURE_SORTS } from "@/lib/queries/failure-page";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, HOUR, loadFailureDatasetTo, mixIncidentStatusesOn, type Dataset } from "@/lib/testing/failure-dataset";
import { failureEvent } from "@/lib/testing/fixtures";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError, type WebhookAnswer } from "@/lib/testing/webhook-client";
import { POST as postWebhook } from "../webhooks/treble/route";
import { GET as getDetail } from "./[id]/route";
import { GET } from "./route";

// A long QUERY_TIMEOUT_MS: in tests the first read starts a worker that compiles its module, which
// alone ran past the 10 s default on a loaded machine (deadlines are not what this file tests).
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

// The routes resolve presets against the real clock, so the data is anchored to it, and no
// failure sits within 10 minutes of a preset's edge while the tests run.
const NOW = Date.now();
const PRESETS = { "1h": HOUR, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY };
// Per engine, set by its describe's beforeAll.
let engine: Engine;
let dataset: Dataset;
let viewer: TestUser;

const BASE = "http://localhost:3000/api/failures";
// A walk through every order asks for hundreds of pages: on a loaded 2-core machine that ran past the 20 s default.
const WALK_TIMEOUT_MS = 180_000;

async function answerOf(response: Response): Promise<WebhookAnswer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

interface Item {
  id: number;
  eventId: string;
  occurredAt: string;
  reason: string;
  line: string | null;
  template: string | null;
  phoneE164: string | null;
  cellphone: string | null;
  incidentStatus: string;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
  total: number;
}

async function list(query: string): Promise<WebhookAnswer> {
  return answerOf(await GET(new Request(`${BASE}?${query}`, { headers: viewer.headers })));
}

async function page(query: string): Promise<Page> {
  const answer = await list(query);
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  expect(answer.headers.get("cache-control")).toBe("no-store");
  return answer.json as Page;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Ids of the failures a filter must list, by plain SQL over the raw table. */
async function refIds(where: string, params: Param[]): Promise<number[]> {
  const rows = await engine.query<{ id: number }>(`SELECT f.id FROM failures f JOIN incidents i ON i.id = f.incident_id WHERE ${where}`, params);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** Binary order of SQLite's default collation and of the test cluster's C locale (same as JS for these strings). */
const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

function sortKey(item: Item, sort: string): Array<string | number> {
  const t = Date.parse(item.occurredAt);
  if (sort === "time") return [t, item.id];
  const value = sort === "reason" ? item.reason : sort === "line" ? (item.line ?? "") : (item.template ?? "");
  return [value, t, item.id];
}

function compareKeys(a: Array<string | number>, b: Array<string | number>): number {
  for (let i = 0; i < a.length; i++) {
    const c = cmp(a[i]!, b[i]!);
    if (c) return c;
  }
  return 0;
}

/** Follows nextCursor to the end; returns every item seen, checking each page on the way. */
async function walk(query: string, sort: string, dir: "asc" | "desc", limit: number): Promise<{ items: Item[]; totals: Set<number>; pages: number }> {
  const items: Item[] = [];
  const totals = new Set<number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = `${query}&sort=${sort}&dir=${dir}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const p = await page(q);
    pages++;
    totals.add(p.total);
    expect(p.items.length).toBeLessThanOrEqual(limit);
    // A page that promises more is full; the last page says there is nothing after it.
    if (p.nextCursor) expect(p.items).toHaveLength(limit);
    items.push(...p.items);
    cursor = p.nextCursor;
    expect(pages).toBeLessThan(1000);
  } while (cursor);
  return { items, totals, pages };
}

interface Slice {
  name: string;
  query: string;
  where: string;
  params: (phoneDigits: string) => Param[];
}

const [L1, L2] = DATASET_LINES;
const [T1] = DATASET_TEMPLATES;
const W_FROM = NOW - 21 * DAY - 17 * 60_000 - 123;
const W_TO = NOW - 13 * DAY + 41 * 60_000 + 7;
// Wide enough that the narrowest slice (two classes, two statuses) always holds dozens of rows:
// at 8 days it held 9–20 depending on the clock, and CI once drew 9.
const WIDE_FROM = NOW - 61 * DAY - 5 * 60_000 - 9;

async function samplePhoneDigits(): Promise<string> {
  const row = await engine.one<{ phone_e164: string }>(
    "SELECT phone_e164 FROM failures WHERE phone_e164 IS NOT NULL GROUP BY phone_e164 ORDER BY count(*) DESC, phone_e164 LIMIT 1",
  );
  return row!.phone_e164.slice(5, 11);
}

const SLICES: Slice[] = [
  {
    name: "a line in a custom window",
    query: `from=${iso(W_FROM)}&to=${iso(W_TO)}&line=${encodeURIComponent(L1)}`,
    where: "f.occurred_at >= ? AND f.occurred_at < ? AND f.line = ?",
    params: () => [W_FROM, W_TO, L1],
  },
  {
    name: "unknown line, 90 days",
    query: "range=90d&line=(unknown)",
    where: "f.occurred_at >= ? AND f.occurred_at < ? AND f.line = ''",
    params: () => [NOW - 90 * DAY, NOW],
  },
  {
    name: "unknown template or a template, on a line, 7 days",
    query: `range=7d&template=${encodeURIComponent(`(unknown),${T1}`)}&line=${encodeURIComponent(L2)}`,
    where: "f.occurred_at >= ? AND f.occurred_at < ? AND f.template IN ('', ?) AND f.line = ?",
    params: () => [NOW - 7 * DAY, NOW, T1, L2],
  },
  {
    name: "a class and a status in a custom window",
    query: `from=${iso(WIDE_FROM)}&to=${iso(W_TO)}&class=fix_then_retry,no_action&status=acknowledged,resolved`,
    where: `f.occurred_at >= ? AND f.occurred_at < ? AND i.status IN ('acknowledged', 'resolved') AND f.reason IN
      ('MISSING_PARAMETER', 'PARAMETER_MISMATCH', 'INVALID_POLL', 'CHARACTER_LIMIT_HEADER', 'CHARACTER_LIMIT_BODY', 'FAILURE_BY_DISABLED_HSM', 'REVOKED')`,
    params: () => [WIDE_FROM, W_TO],
  },
  {
    name: "a phone search, 90 days",
    query: "range=90d&q=PHONE",
    where: "f.occurred_at >= ? AND f.occurred_at < ? AND (coalesce(f.phone_e164, '') LIKE ? OR coalesce(f.cellphone, '') LIKE ?)",
    params: (digits) => [NOW - 90 * DAY, NOW, `%${digits}%`, `%${digits}%`],
  },
  {
    name: "an unrecognised reason and a known one in lower case, 30 days",
    query: "range=30d&reason=FAILURE_BY_NEW_META_RULE,failure_by_optout_contact",
    where: "f.occurred_at >= ? AND f.occurred_at < ? AND f.reason IN ('FAILURE_BY_NEW_META_RULE', 'FAILURE_BY_OPTOUT_CONTACT')",
    params: () => [NOW - 30 * DAY, NOW],
  },
];

describe.each(ENGINES)("on %s", (name) => {
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens.
    await webhookSecretAtStart();
    await readFieldMapping();
    viewer = await createTestUser("viewer");
    dataset = await loadFailureDatasetTo(engine, {
      now: NOW,
      seed: 11,
      count: 2500,
      avoid: { instants: Object.values(PRESETS).map((ms) => NOW - ms), margin: 10 * 60_000 },
    });
    await mixIncidentStatusesOn(engine);
  }, CLUSTER_START_TIMEOUT_MS + 240_000);

  describe("GET /api/failures: keyset pagination visits every row exactly once", () => {
    it("has ties to paginate through (bursts sharing one timestamp)", async () => {
      const ties = await engine.one<{ n: number }>("SELECT max(n) AS n FROM (SELECT count(*) AS n FROM failures GROUP BY occurred_at) t");
      expect(ties?.n).toBeGreaterThan(7);
    });

    for (const slice of SLICES) {
      it(slice.name, async () => {
        const digits = await samplePhoneDigits();
        const query = slice.query.replace("PHONE", digits);
        const expected = await refIds(slice.where, slice.params(digits));
        expect(expected.length, "a slice worth paginating").toBeGreaterThan(10);
        for (const sort of FAILURE_SORTS) {
          for (const dir of ["asc", "desc"] as const) {
            const label = `${sort} ${dir}`;
            const { items, totals } = await walk(query, sort, dir, 7);
            const ids = items.map((i) => i.id);
            expect(new Set(ids).size, `${label}: no row twice`).toBe(ids.length);
            expect([...ids].sort((a, b) => a - b), `${label}: every row`).toEqual(expected);
            expect([...totals], `${label}: total`).toEqual([expected.length]);
            for (let i = 1; i < items.length; i++) {
              const c = compareKeys(sortKey(items[i - 1]!, sort), sortKey(items[i]!, sort));
              expect(dir === "asc" ? c : -c, `${label}: order at ${i}`).toBeLessThan(0);
            }
          }
        }
      }, WALK_TIMEOUT_MS);
    }

    it("pages through a whole 90-day window in every order with a larger page", async () => {
      const expected = await refIds("f.occurred_at >= ? AND f.occurred_at < ?", [NOW - 90 * DAY, NOW]);
      expect(expected.length).toBeGreaterThan(2000);
      for (const sort of FAILURE_SORTS) {
        for (const dir of ["asc", "desc"] as const) {
          const { items, totals, pages } = await walk("range=90d", sort, dir, 199);
          expect(pages).toBe(Math.ceil(expected.length / 199));
          expect(items.map((i) => i.id).sort((a, b) => a - b)).toEqual(expected);
          expect([...totals]).toEqual([expected.length]);
        }
      }
    }, WALK_TIMEOUT_MS);

    it("answers an empty slice with no items, no cursor and a zero total", async () => {
      const p = await page("range=90d&q=abc");
      expect(p).toEqual({ items: [], nextCursor: null, total: 0 });
    });

    it("defaults to newest first, 50 a page, over the last 24 hours", async () => {
      const p = await page("");
      const expected = await refIds("f.occurred_at >= ? AND f.occurred_at < ?", [NOW - DAY, NOW]);
      expect(p.total).toBe(expected.length);
      expect(p.items).toHaveLength(Math.min(50, expected.length));
      const times = p.items.map((i) => Date.parse(i.occurredAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(p.nextCursor === null).toBe(expected.length <= 50);
    });

    it("describes each failure with its normalised fields", async () => {
      const p = await page(`range=90d&line=(unknown)&limit=5`);
      for (const item of p.items) {
        expect(item.line).toBeNull();
        const row = (await engine.one<{ dedupe_key: Buffer; reason: string; template: string; phone_e164: string | null }>(
          "SELECT r.dedupe_key, f.reason, f.template, f.phone_e164 FROM failures f JOIN raw_events r ON r.id = f.raw_event_id WHERE f.id = ?",
          [item.id],
        ))!;
        expect(item.eventId).toBe(decodeDedupeKey(row.dedupe_key));
        expect(item.reason).toBe(row.reason);
        expect(item.template).toBe(row.template || null);
        expect(item.phoneE164).toBe(row.phone_e164);
        expect(["open", "acknowledged", "resolved"]).toContain(item.incidentStatus);
      }
    });
  });

  describe("GET /api/failures: invalid parameters → 400 naming the field", () => {
    const cases: Array<[string, string]> = [
      ["cursor=not-a-cursor", "cursor"],
      [`cursor=${Buffer.from(JSON.stringify({ a: 1 })).toString("base64url")}`, "cursor"],
      [`sort=reason&cursor=${Buffer.from(JSON.stringify([1, 2])).toString("base64url")}`, "cursor"],
      [`sort=time&cursor=${Buffer.from(JSON.stringify(["X", 1, 2])).toString("base64url")}`, "cursor"],
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["limit=abc", "limit"],
      ["limit=2.5", "limit"],
      ["sort=phone", "sort"],
      ["dir=up", "dir"],
      ["class=retry_soon", "class"],
      ["status=closed", "status"],
      ["tz=Mars/Olympus_Mons", "tz"],
      ["range=2d", "range"],
      ["from=yesterday", "from"],
      ["from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"],
      ["from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"],
      [`q=${"1".repeat(65)}`, "q"],
    ];
    for (const [query, field] of cases) {
      it(`${query.slice(0, 60)} → ${field}`, async () => {
        const error = expectError(await list(query), 400, "invalid_input");
        expect(error.message.startsWith(field), error.message).toBe(true);
        expect(error.details?.[0]?.path).toBe(field);
      });
    }

    it("takes a cursor made for another sort as invalid, not as a wrong page", async () => {
      const first = await page("range=90d&sort=time&limit=3");
      expect(first.nextCursor).not.toBeNull();
      const error = expectError(await list(`range=90d&sort=line&limit=3&cursor=${first.nextCursor}`), 400, "invalid_input");
      expect(error.details?.[0]?.path).toBe("cursor");
    });
  });

  describe("GET /api/failures/{id}", () => {
    const detail = async (id: string) => answerOf(await getDetail(new Request(`${BASE}/${id}`, { headers: viewer.headers }), { params: Promise.resolve({ id }) }));

    it("returns every field with the raw payload exactly as stored", async () => {
      const row = (await engine.one<{ id: number; dedupe_key: Buffer }>(
        "SELECT f.id, r.dedupe_key FROM failures f JOIN raw_events r ON r.id = f.raw_event_id WHERE f.line = '' AND f.template <> '' LIMIT 1",
      ))!;
      const eventId = decodeDedupeKey(row.dedupe_key);
      const answer = await detail(String(row.id));
      expect(answer.status).toBe(200);
      const body = answer.json as Record<string, unknown>;
      expect(body.id).toBe(row.id);
      expect(body.eventId).toBe(eventId);
      expect(body.rawPayload).toBe(dataset.payloads.get(eventId));
      expect(body.line).toBeNull();
      expect(body.eventType).toBe("deployment.failure");
      expect(typeof body.meaning === "string" || body.meaning === null).toBe(true);
    });

    it("keeps each event of a batch byte for byte, and explains its reason", async () => {
      const a = failureEvent({ event_id: "detail-a", failure_reason: "  missing_parameter " });
      const b = failureEvent({ event_id: "detail-b", failure_reason: "FAILURE_BY_SOMETHING_NEW", line: undefined });
      const textA = `{ "event_id" : "detail-a",\n  ${JSON.stringify(a).slice(1).replace('"event_id":"detail-a",', "")}`;
      const textB = JSON.stringify(b, null, 2);
      const body = `[\n ${textA} ,\t${textB}\n]`;
      const posted = await postWebhook(
        new Request(`http://localhost:3000/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }),
      );
      expect(posted.status, await posted.clone().text()).toBe(200);
      const idOf = async (key: string) =>
        (await engine.one<{ id: number }>("SELECT f.id FROM failures f JOIN raw_events r ON r.id = f.raw_event_id WHERE r.dedupe_key = ?", [encodeDedupeKey(key)]))!.id;

      const answerA = (await detail(String(await idOf("detail-a")))).json as Record<string, unknown>;
      expect(answerA.rawPayload).toBe(textA);
      expect(JSON.parse(answerA.rawPayload as string)).toEqual(a);
      expect(answerA).toMatchObject({ reason: "MISSING_PARAMETER", reasonKnown: true, reasonClass: "fix_then_retry" });
      expect(answerA.meaning).toEqual(expect.any(String));
      expect(answerA.action).toEqual(expect.any(String));

      const answerB = (await detail(String(await idOf("detail-b")))).json as Record<string, unknown>;
      expect(answerB.rawPayload).toBe(textB);
      expect(answerB).toMatchObject({ reason: "FAILURE_BY_SOMETHING_NEW", reasonKnown: false, reasonClass: null, meaning: null, action: null, line: null });
    });

    it("gives back unicode and large events exactly as POSTed, though they are stored deflated", async () => {
      const unicode = `{"event_id":"detail-unicode","failure_reason":"INVALID_PHONE","note":"Señora Müller 東京 👩🏽‍💻 مرحبا","esc":"\\u00e9\\ud83d\\ude00",\r\n "line":"+573001112233"}`;
      // Large by whitespace and fields Faultline does not read (user_session_keys has its own length limit).
      const extra = Array.from({ length: 3000 }, (_, i) => ({ campo: i, valor: `valor ${i} — ${"ñ".repeat(i % 7)}` }));
      const large = JSON.stringify({ ...failureEvent({ event_id: "detail-large" }), extra }, null, "\t");
      for (const text of [unicode, large]) {
        const posted = await postWebhook(
          new Request(`http://localhost:3000/api/webhooks/treble?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: text }),
        );
        expect(await posted.json()).toMatchObject({ accepted: 1, quarantined: 0 });
      }
      expect(Buffer.byteLength(large)).toBeGreaterThan(150_000);
      for (const [key, text] of [["detail-unicode", unicode], ["detail-large", large]] as const) {
        const row = (await engine.one<{ id: number; payload: unknown }>(
          "SELECT f.id, r.payload FROM failures f JOIN raw_events r ON r.id = f.raw_event_id WHERE r.dedupe_key = ?",
          [encodeDedupeKey(key)],
        ))!;
        // Bytes (a blob, bytea), not text, on either engine.
        expect(row.payload).toBeInstanceOf(Buffer);
        expect((row.payload as Buffer).length).toBeLessThan(Buffer.byteLength(text));
        const body = (await detail(String(row.id))).json as Record<string, unknown>;
        expect(Buffer.from(body.rawPayload as string, "utf8").equals(Buffer.from(text, "utf8"))).toBe(true);
      }
    });

    it("answers 404 for an unknown id", async () => {
      const error = expectError(await detail("999999999"), 404, "not_found");
      expect(error.message).toContain("999999999");
    });

    for (const id of ["abc", "-1", "1.5", "1e3", "0x10", ""]) {
      it(`answers 400 naming id for ${JSON.stringify(id)}`, async () => {
        const error = expectError(await detail(id), 400, "invalid_input");
        expect(error.details?.[0]?.path).toBe("id");
      });
    }
  });
});
