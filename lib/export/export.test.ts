import zlib from "node:zlib";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dialect, Engine } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import { inSnapshot } from "@/db/snapshot";
import { all, type Steps, type Value } from "@/db/steps";
import { parseFilters, UNKNOWN } from "@/lib/filters";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { setLineLabel } from "@/lib/lines/labels";
import { listFailures, type FailureItem } from "@/lib/queries/failures";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DAY, loadFailureDatasetTo, mixIncidentStatusesOn, seededRandom } from "@/lib/testing/failure-dataset";
import { failureEvent, nextEventId } from "@/lib/testing/fixtures";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";
import { engineReads, readPool, streamExport } from "@/lib/read/pool";
import { listSelect, listSelectFromState, listSelectJudgedEach } from "./contacts";
import { csvRecord, maxId, STRINGIFY_OPTIONS, type Cell } from "./csv";
import { parseExportRequest } from "./options";

// A long QUERY_TIMEOUT_MS: the first export starts a worker that compiles its module, slow on a
// loaded machine (deadlines are export.engines.test.ts's concern).
const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, QUERY_TIMEOUT_MS: "60000", LOG_LEVEL: "silent" });
afterAll(() => databases.cleanup());

const NOW = Date.parse("2026-11-25T15:00:00.000Z");
/** A window holding the whole random dataset (its 100 days, and older history). */
const ALL = { from: new Date(NOW - 250 * DAY).toISOString(), to: new Date(NOW).toISOString() };
/** A quiet year for the crafted histories, far from the dataset. */
const CRAFTED_FROM = Date.parse("2020-03-01T00:00:00.000Z");
const CRAFTED = { from: "2020-03-01T00:00:00.000Z", to: "2020-04-01T00:00:00.000Z" };

// Per engine, set by its describe's beforeAll.
let engine: Engine;
let operator: TestUser;
let viewer: TestUser;

/**
 * Each export streams from a worker of its own, which loads its module first: a test of several
 * exports took over the default 20 s under the full suite's load.
 */
const EXPORT_TEST_TIMEOUT_MS = 60_000;

/** Named lines (PUT /api/lines/{line}/label): the exports carry the name in a last `line_label` column. */
const LABELS: Record<string, string> = {
  "+573001110001": "Ventas CO",
  "+573001110002": "Cobranza, \"Bogotá\"",
  "+573001112233": "=Soporte",
};
const labelOf = (line: string | null) => (line ? (LABELS[line] ?? null) : null);

/** Stores events as the webhook would, received 1.5 s after they occurred. */
async function store(events: Array<Record<string, unknown>>): Promise<void> {
  const result = await commitEventsTo(
    engine,
    events.map((e) => prepareEvent(e, JSON.stringify(e), Date.parse(String(e.timestamp)) + 1_500)),
  );
  expect(result.accepted).toBe(events.length);
}

/** Exports streaming for `user`, on the read path of the engine in use. */
const heavyReadsOf = (user: string) => (engine instanceof PgEngine ? engineReads(engine).heavy.of(user) : readPool().heavyReadsOf(user));

type RouteModule = { GET: (request: Request) => Promise<Response> };
const routes = {
  failures: () => import("@/app/api/failures/export/route") as Promise<RouteModule>,
  incidents: () => import("@/app/api/incidents/export/route") as Promise<RouteModule>,
  contacts: () => import("@/app/api/contacts/export/route") as Promise<RouteModule>,
};

async function get(route: keyof typeof routes, query: Record<string, string>, headers: Record<string, string> = operator.headers): Promise<Response> {
  const { GET } = await routes[route]();
  return GET(new Request(`http://localhost:3000/api/${route}/export?${new URLSearchParams(query).toString()}`, { headers }));
}

/** The export parsed back by csv-parse: header and rows. */
async function exportCsv(route: keyof typeof routes, query: Record<string, string>): Promise<{ header: string[]; rows: string[][]; text: string; response: Response }> {
  const response = await get(route, query);
  const text = await response.text();
  expect(response.status, text.slice(0, 300)).toBe(200);
  const records = parse(text, { bom: true, relax_column_count: false }) as string[][];
  return { header: records[0]!, rows: records.slice(1), text, response };
}

/** The rule, written out independently: formula starts get a leading apostrophe. */
const neutral = (v: string | number | null | undefined) => {
  const text = v === null || v === undefined ? "" : String(v);
  return typeof v === "string" && /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? `'${text}` : text;
};

/** Every row the failures table shows for these filters, page after page. */
async function tableRows(query: Record<string, string>): Promise<FailureItem[]> {
  const filters = parseFilters(new URLSearchParams(query));
  const items: FailureItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await inSnapshot(engine, (dialect) => listFailures(dialect, filters, { sort: "time", dir: "desc", limit: 500, cursor }));
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

const expectedRecord = (f: FailureItem) =>
  [
    f.eventId,
    f.occurredAt,
    f.receivedAt,
    f.reason,
    f.reasonLabel,
    f.reasonClass,
    f.line,
    f.template,
    f.pollId,
    f.deploymentId,
    f.batchId,
    f.countryCode,
    f.cellphone,
    f.phoneE164,
    f.incidentId,
    f.incidentStatus,
    labelOf(f.line),
  ].map(neutral);

describe.each(ENGINES)("the exports on %s", (name) => {
  // The cluster's start and 5,000 events stored through the commit path: minutes under a full suite's load.
  beforeAll(async () => {
    engine = await databases.use(name);
    operator = await createTestUser("operator");
    viewer = await createTestUser("viewer");
    await loadFailureDatasetTo(engine, { now: NOW, count: 5000 });
    await mixIncidentStatusesOn(engine);
    for (const [line, label] of Object.entries(LABELS)) await setLineLabel(line, { label }, { actor: { id: operator.user.id, email: operator.user.email }, ip: null });
  }, CLUSTER_START_TIMEOUT_MS + 300_000);

  describe("GET /api/failures/export", () => {
    const combinations: Array<Record<string, string>> = [
      {},
      { reason: "INVALID_PHONE,FAILURE_BY_RATE_LIMIT" },
      { class: "do_not_contact", line: "+573001110001" },
      { template: "(unknown)" },
      { line: "(unknown),+525511110004", template: "otp_login,welcome_v2" },
      { q: "3005" },
      { status: "acknowledged", reason: "FAILURE_BY_TIER_CAPACITY" },
      { from: new Date(NOW - 3 * DAY - 17_123).toISOString(), to: new Date(NOW - DAY + 9_876).toISOString() },
    ];

    for (const combination of combinations) {
      it(`holds exactly the table's rows, in its order: ${JSON.stringify(combination)}`, async () => {
        const query = { ...ALL, ...combination };
        const expected = await tableRows(query);
        const { header, rows } = await exportCsv("failures", query);
        expect(header).toEqual([
          "event_id",
          "occurred_at",
          "received_at",
          "reason",
          "reason_label",
          "reason_class",
          "line",
          "template",
          "poll_id",
          "deployment_id",
          "batch_id",
          "country_code",
          "cellphone",
          "phone_e164",
          "incident_id",
          "incident_status",
          "line_label",
        ]);
        expect(expected.length).toBeGreaterThan(0);
        expect(rows).toEqual(expected.map(expectedRecord));
        const count = (await (await get("failures", { ...query, count: "1" })).json()) as { rows: number };
        expect(count.rows).toBe(expected.length);
      });
    }

    it("counts a preset window as of now and answers that instant (`at`), which pins the download to the window counted", async () => {
      const before = Date.now();
      const live = (await (await get("failures", { range: "7d", count: "1" })).json()) as { rows: number; at: string };
      expect(Date.parse(live.at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(live.at)).toBeLessThanOrEqual(Date.now());
      // The dataset ends at NOW, in the past: its last 7 days, counted and downloaded as of then.
      const at = new Date(NOW).toISOString();
      const expected = await tableRows({ from: new Date(NOW - 7 * DAY).toISOString(), to: at });
      expect(expected.length).toBeGreaterThan(100);
      const counted = (await (await get("failures", { range: "7d", count: "1", at })).json()) as { rows: number; at: string };
      expect(counted).toEqual({ rows: expected.length, at });
      const { rows, response } = await exportCsv("failures", { range: "7d", at });
      expect(rows).toEqual(expected.map(expectedRecord));
      // Still the preset's file name, ending at the pinned instant.
      expect(response.headers.get("content-disposition")).toContain("last-7d_20261118-1500Z_20261125-1500Z");
    });

    it("crosses read chunks on a burst sharing one timestamp without losing or repeating a row", async () => {
      const t = "2020-06-01T12:00:00.000Z";
      await store(Array.from({ length: 5003 }, () => failureEvent({ timestamp: t, event_id: nextEventId("burst") })));
      const { rows } = await exportCsv("failures", { from: "2020-06-01T00:00:00Z", to: "2020-06-02T00:00:00Z" });
      expect(rows).toHaveLength(5003);
      expect(new Set(rows.map((r) => r[0])).size).toBe(5003);
      expect(rows.map((r) => r[0])).toEqual((await tableRows({ from: "2020-06-01T00:00:00Z", to: "2020-06-02T00:00:00Z" })).map((f) => f.eventId));
    });

    it("neutralises formulas, keeps phones as text, and round-trips quotes, commas, newlines and unicode", async () => {
      const timestamp = "2020-07-01T10:00:00.000Z";
      await store([
        failureEvent({
          timestamp,
          event_id: "=HYPERLINK(\"http://evil.example\",\"x\")",
          hsm: { name: "campaña_ñandú 🎉 \"promo\", 2x1" },
          poll_id: "@SUM(A1:A9)",
          deployment_id: "-2+3",
          batch_id: "@batch",
          failure_reason: "+CUSTOM_REASON",
          user: { country_code: "57", cellphone: "3051234567" },
        }),
        failureEvent({ timestamp: "2020-07-01T09:00:00.000Z", event_id: "multi\r\nline", hsm: { name: "-minus start" }, poll_id: "＝fullwidth" }),
      ]);
      const { rows, header } = await exportCsv("failures", { from: "2020-07-01T00:00:00Z", to: "2020-07-02T00:00:00Z" });
      const byId = Object.fromEntries(rows.map((r) => [r[0], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
      const evil = byId["'=HYPERLINK(\"http://evil.example\",\"x\")"]!;
      expect(evil.template).toBe("campaña_ñandú 🎉 \"promo\", 2x1");
      expect(evil.poll_id).toBe("'@SUM(A1:A9)");
      expect(evil.deployment_id).toBe("'-2+3");
      expect(evil.batch_id).toBe("'@batch");
      expect(evil.reason).toBe("'+CUSTOM_REASON");
      expect(evil.reason_label).toBe("'+CUSTOM_REASON");
      expect(evil.reason_class).toBe("");
      expect(evil.phone_e164).toBe("'+573051234567");
      expect(evil.line).toBe("'+573001112233");
      const multi = byId["multi\r\nline"]!;
      expect(multi.template).toBe("'-minus start");
      expect(multi.poll_id).toBe("'＝fullwidth");
      // No data cell begins with a formula character once parsed.
      for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r\n＝＋－＠]/);
    });

    it("adds occurred_at_local with tz, a BOM with bom=1, and names the file after range and filters", async () => {
      await store([failureEvent({ timestamp: "2020-07-03T10:00:00.000Z", hsm: { name: "campaña ñandú 🎉" } })]);
      const query = { from: "2020-07-03T00:00:00Z", to: "2020-07-04T00:00:00Z", template: "campaña ñandú 🎉" };
      const plain = await exportCsv("failures", query);
      const firstBytes = async (q: Record<string, string>) => [...new Uint8Array(await (await get("failures", q)).arrayBuffer()).slice(0, 3)];
      expect(await firstBytes(query)).toEqual([..."eve"].map((c) => c.charCodeAt(0)));
      expect(await firstBytes({ ...query, bom: "1" })).toEqual([0xef, 0xbb, 0xbf]);
      expect(plain.response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      const disposition = plain.response.headers.get("content-disposition")!;
      expect(disposition).toMatch(/^attachment; filename="faultline-failures_20200703-0000Z_20200704-0000Z_template-campana_nandu_\.csv"; /);
      expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(disposition)![1]!)).toBe("faultline-failures_20200703-0000Z_20200704-0000Z_template-campaña_ñandú_.csv");
      expect(plain.rows).toHaveLength(1);

      const zoned = await exportCsv("failures", { ...query, tz: "America/Bogota", bom: "1" });
      // line_label stays last: after occurred_at_local.
      expect(zoned.header.slice(-2)).toEqual(["occurred_at_local", "line_label"]);
      expect(zoned.rows[0]![1]).toBe("2020-07-03T10:00:00.000Z");
      expect(zoned.rows[0]!.slice(-2)).toEqual(["2020-07-03T05:00:00.000-05:00", "'=Soporte"]);
      const kolkata = await exportCsv("failures", { ...query, tz: "Asia/Kolkata" });
      expect(kolkata.rows[0]!.at(-2)).toBe("2020-07-03T15:30:00.000+05:30");
    });

    it("gzip=1 sends the same file gzip-compressed as .csv.gz; no export is compressed on the fly", async () => {
      const plain = await get("failures", ALL);
      expect(plain.headers.get("cache-control")).toBe("no-store, no-transform");
      expect(plain.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      const text = await plain.text();
      const compressed = await get("failures", { ...ALL, gzip: "1" });
      expect(compressed.status).toBe(200);
      expect(compressed.headers.get("content-type")).toBe("application/gzip");
      expect(compressed.headers.get("content-disposition")).toMatch(/filename="faultline-failures_[^"]*\.csv\.gz"/);
      expect(compressed.headers.get("cache-control")).toBe("no-store, no-transform");
      const bytes = Buffer.from(await compressed.arrayBuffer());
      expect(bytes.length).toBeLessThan(Buffer.byteLength(text));
      expect(zlib.gunzipSync(bytes).toString("utf8")).toBe(text);
      expect(text.split("\n").length).toBeGreaterThan(10);
      expect((await get("failures", { ...ALL, gzip: "yes" })).status).toBe(400);
    });

    it("cancelling a download ends its worker and frees the user's slot while ingest keeps writing", async () => {
      const request = parseExportRequest(new URLSearchParams(ALL), NOW);
      const { body } = await streamExport("failures", { request }, { user: "cancelling-user", bom: false, gzip: false });
      const reader = body.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      expect(heavyReadsOf("cancelling-user")).toBe(1);
      // Mid-export, the webhook's connection writes as usual.
      await store([failureEvent({ timestamp: "2020-08-01T00:00:00.000Z" })]);
      await reader.cancel();
      expect(heavyReadsOf("cancelling-user")).toBe(0);
    });
  });

  describe("GET /api/incidents/export", () => {
    it("holds the incidents of the filters with the incidents API's columns", async () => {
      const query = { ...ALL, status: "open,acknowledged,snoozed,resolved", line: "+573001110002" };
      // One snoozed, assigned and escalating incident among them.
      const chosen = (await engine.one<{ id: number }>("SELECT max(id) AS id FROM incidents WHERE line_key = '+573001110002'"))!.id;
      const original = (await engine.one<{ status: string }>("SELECT status FROM incidents WHERE id = ?", [chosen]))!.status;
      await engine.exec("UPDATE incidents SET status = 'snoozed', snooze_failures_left = 7, escalating = 1, assignee_id = ? WHERE id = ?", [operator.user.id, chosen]);
      const { header, rows } = await exportCsv("incidents", query);
      expect(header).toEqual([
        "id",
        "reason",
        "line",
        "template",
        "status",
        "regressed",
        "count",
        "contacts",
        "firstSeen",
        "lastSeen",
        "acknowledgedAt",
        "acknowledgedBy",
        "resolvedAt",
        "resolvedBy",
        "note",
        "escalating",
        "assignee",
        "snoozeUntil",
        "snoozeFailuresLeft",
        "snoozeUntilEscalating",
        "line_label",
      ]);
      const expected = await engine.query<Record<string, string | number | null>>(
        `SELECT * FROM incidents i WHERE line_key = '+573001110002'
           AND EXISTS (SELECT 1 FROM failures f WHERE f.incident_id = i.id AND f.occurred_at >= ? AND f.occurred_at < ?) ORDER BY id DESC`,
        [Date.parse(ALL.from), Date.parse(ALL.to)],
      );
      expect(rows.length).toBe(expected.length);
      expect(rows.map((r) => [r[0], r[1], r[2], r[4], r[6], r[8]])).toEqual(
        expected.map((i) => [String(i.id), i.reason, neutral(i.line_key), i.status, String(i.failures), new Date(i.first_seen as number).toISOString()]),
      );
      expect(rows.map((r) => r[20])).toEqual(expected.map(() => 'Cobranza, "Bogotá"'));
      expect(rows.map((r) => r.slice(15, 20))).toEqual(
        expected.map((i) => (i.id === chosen ? ["true", operator.user.email, "", "7", "false"] : [i.escalating ? "true" : "false", "", "", "", ""])),
      );
      // Without a status, the list's default: "Needs attention" (open).
      const open = await exportCsv("incidents", { ...ALL, line: "+573001110002" });
      expect(open.rows.length).toBe(expected.filter((i) => i.status === "open").length);
      expect(((await (await get("incidents", { ...query, count: "1" })).json()) as { rows: number }).rows).toBe(expected.length);
      await engine.exec("UPDATE incidents SET status = ?, snooze_failures_left = NULL, escalating = 0, assignee_id = NULL WHERE id = ?", [original, chosen]);
    });
  });

  describe("GET /api/contacts/export", () => {
    const at = (days: number) => new Date(CRAFTED_FROM + days * DAY).toISOString();
    const contact = (n: number) => ({ country_code: "57", cellphone: `31100000${String(n).padStart(2, "0")}` });

    beforeAll(async () => {
      await store([
        // A: rate limited, then opted out: suppress (opt-out), never retry.
        failureEvent({ timestamp: at(1), failure_reason: "FAILURE_BY_RATE_LIMIT", user: contact(1) }),
        failureEvent({ timestamp: at(2), failure_reason: "FAILURE_BY_OPTOUT_CONTACT", user: contact(1) }),
        // B: opted out long before the window, rate limited in it: in neither list.
        failureEvent({ timestamp: "2019-01-01T00:00:00Z", failure_reason: "FAILURE_BY_OPTOUT_CONTACT", user: contact(2) }),
        failureEvent({ timestamp: at(3), failure_reason: "FAILURE_BY_RATE_LIMIT", user: contact(2) }),
        // C: missing parameter, then rate limited (latest, with session keys as an array): retry.
        failureEvent({ timestamp: at(1), failure_reason: "MISSING_PARAMETER", user: contact(3), user_session_keys: [{ key: "customer_id", value: "OLD" }] }),
        failureEvent({
          timestamp: at(4),
          failure_reason: "FAILURE_BY_RATE_LIMIT",
          user: contact(3),
          hsm: { name: "recordatorio_pago_v3" },
          user_session_keys: [{ key: "customer_id", value: "C-1" }, { key: "segment", value: "vip" }],
        }),
        // D: rate limited, then revoked (latest, no action): not retried.
        failureEvent({ timestamp: at(1), failure_reason: "FAILURE_BY_RATE_LIMIT", user: contact(4) }),
        failureEvent({ timestamp: at(5), failure_reason: "REVOKED", user: contact(4) }),
        // E: a disabled template, session keys as an object with hostile and clashing keys: retry.
        failureEvent({
          timestamp: at(6),
          failure_reason: "FAILURE_BY_DISABLED_HSM",
          user: contact(5),
          user_session_keys: { customer_id: "E-1", "=cmd": "=1+1", line: "L-5", score: 7 },
        }),
        // F: rate limited in the window, invalid phone after it: never retried (no DNC ever).
        failureEvent({ timestamp: at(7), failure_reason: "FAILURE_BY_RATE_LIMIT", user: contact(6) }),
        failureEvent({ timestamp: "2020-05-01T00:00:00Z", failure_reason: "INVALID_PHONE", user: contact(6) }),
        // G: rate limited in the window, revoked after it: the latest failure *in the range* counts.
        failureEvent({ timestamp: at(8), failure_reason: "COMPANY_RATE_LIMIT", user: contact(7) }),
        failureEvent({ timestamp: "2020-05-02T00:00:00Z", failure_reason: "REVOKED", user: contact(7) }),
        // H: blocked twice: one suppress row, the latest.
        failureEvent({ timestamp: at(2), failure_reason: "FAILURE_BY_BLOCKED_CONTACT", user: contact(8) }),
        failureEvent({ timestamp: at(9), failure_reason: "FAILURE_BY_EXPERIMENT_NUMBER", user: contact(8) }),
        // I: no phone at all: belongs to no contact.
        failureEvent({ timestamp: at(2), failure_reason: "FAILURE_BY_RATE_LIMIT", user: {} }),
      ]);
    });

    const byPhone = (header: string[], rows: string[][]) => Object.fromEntries(rows.map((r) => [r[header.indexOf("phone_e164")]!, Object.fromEntries(header.map((h, i) => [h, r[i]]))]));

    it("retry: latest failure in range retryable, no do-not-contact failure ever, session keys as columns", async () => {
      const { header, rows } = await exportCsv("contacts", { list: "retry", ...CRAFTED });
      // Keys in order of first appearance, newest contact first; a key named like a column is prefixed.
      expect(header).toEqual(["country_code", "cellphone", "phone_e164", "last_reason", "last_failed_at", "template", "line", "customer_id", "'=cmd", "user_session_keys.line", "score", "segment", "line_label"]);
      const list = byPhone(header, rows);
      expect(Object.keys(list).sort()).toEqual(["'+573110000003", "'+573110000005", "'+573110000007"]);
      expect(list["'+573110000003"]).toMatchObject({ cellphone: "3110000003", last_reason: "FAILURE_BY_RATE_LIMIT", last_failed_at: at(4), template: "recordatorio_pago_v3", customer_id: "C-1", segment: "vip", "'=cmd": "" });
      expect(list["'+573110000005"]).toMatchObject({ last_reason: "FAILURE_BY_DISABLED_HSM", customer_id: "E-1", "'=cmd": "'=1+1", "user_session_keys.line": "L-5", score: "7", segment: "" });
      expect(list["'+573110000007"]).toMatchObject({ last_reason: "COMPANY_RATE_LIMIT", line: "'+573001112233", line_label: "'=Soporte" });
      // Newest first.
      expect(rows.map((r) => r[4])).toEqual([at(8), at(6), at(4)]);
      expect(await (await get("contacts", { list: "retry", ...CRAFTED, count: "1" })).json()).toEqual({ rows: 3, at: expect.any(String) });
      // As the overview's label asks: a few failures are counted (a list over many, under a status, is null).
      expect(await (await get("contacts", { list: "retry", ...CRAFTED, count: "1", quick: "1" })).json()).toEqual({ rows: 3, at: expect.any(String) });
      const bad = await get("contacts", { list: "retry", ...CRAFTED, count: "1", quick: "yes" });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: "invalid_input" } });
    });

    it("suppress: every contact with a do-not-contact failure in the view, its latest one", async () => {
      const { header, rows } = await exportCsv("contacts", { list: "suppress", ...CRAFTED });
      expect(header).toEqual(["country_code", "cellphone", "phone_e164", "reason", "reason_label", "failed_at", "template", "line", "line_label"]);
      const list = byPhone(header, rows);
      expect(Object.keys(list).sort()).toEqual(["'+573110000001", "'+573110000008"]);
      expect(list["'+573110000001"]).toMatchObject({ reason: "FAILURE_BY_OPTOUT_CONTACT", reason_label: "Contact opted out", failed_at: at(2) });
      expect(list["'+573110000008"]).toMatchObject({ reason: "FAILURE_BY_EXPERIMENT_NUMBER", failed_at: at(9), line_label: "'=Soporte" });
      // The filters apply: a class that excludes do-not-contact leaves nobody.
      expect((await exportCsv("contacts", { list: "suppress", ...CRAFTED, class: "retry_later" })).rows).toEqual([]);
    });

    it("retry within filters: only the filtered failures decide what is latest", async () => {
      // D's latest failure is REVOKED, outside these reasons: its rate limit is the latest in view.
      const { rows } = await exportCsv("contacts", { list: "retry", ...CRAFTED, reason: "MISSING_PARAMETER,FAILURE_BY_RATE_LIMIT" });
      expect(rows.map((r) => r[2]).sort()).toEqual(["'+573110000003", "'+573110000004"]);
      const older = await exportCsv("contacts", { list: "retry", ...CRAFTED, reason: "MISSING_PARAMETER" });
      expect(older.rows.map((r) => [r[2], r[3], r[7]])).toEqual([["'+573110000003", "MISSING_PARAMETER", "OLD"]]);
    });
  });

  describe("contact lists from the per-contact state", () => {
    /** The list's rows in the file's order, from `select` (null: it does not answer). */
    const listRows = (select: (dialect: Dialect, upperId: number) => Steps<{ sql: string; params: Value[] } | null>) =>
      inSnapshot(engine, function* (dialect) {
        const chosen = yield* select(dialect, yield* maxId("failures"));
        return chosen && (yield* all<Record<string, unknown>>(`SELECT * FROM (${chosen.sql}) AS list ORDER BY n`, chosen.params));
      });
    const windows: Record<string, Record<string, string>> = {
      "24h": { range: "24h", at: new Date(NOW).toISOString() },
      "7d": { range: "7d", at: new Date(NOW).toISOString() },
      "90d": { range: "90d", at: new Date(NOW).toISOString() },
      "40 to 10 days ago": { from: new Date(NOW - 40 * DAY).toISOString(), to: new Date(NOW - 10 * DAY).toISOString() },
    };
    const filters: Array<Record<string, string>> = [{}, { line: "+573001110002" }, { template: "otp_login" }, { line: "+573001110001", template: "welcome_v2" }, { reason: "FAILURE_BY_RATE_LIMIT" }, { class: "retry_later" }, { reason: "INVALID_PHONE" }];

    it("hold exactly the rows of the window function over the window's failures, for every scope the state keeps and windows ending in the past", async () => {
      let listed = 0;
      for (const which of ["retry", "suppress"] as const) {
        for (const [label, window] of Object.entries(windows)) {
          for (const filter of filters) {
            const request = parseExportRequest(new URLSearchParams({ ...window, ...filter }));
            const fromState = await listRows((dialect, upperId) => listSelectFromState(dialect, which, request, upperId));
            const reference = await listRows(function* (dialect, upperId) {
              return listSelect(dialect, which, request, upperId, true);
            });
            expect(fromState, `${which} ${label} ${JSON.stringify(filter)}`).toEqual(reference);
            listed += reference!.length;
          }
        }
      }
      expect(listed).toBeGreaterThan(500);
    }, EXPORT_TEST_TIMEOUT_MS);

    it("judged contact by contact, hold exactly the rows of the window function for filters the state keeps no scope for", async () => {
      const judgedFilters: Array<Record<string, string>> = [
        { status: "open" },
        { status: "acknowledged,resolved" },
        { status: "resolved", class: "do_not_contact" },
        { status: "open", line: "+573001110002" },
        { status: "acknowledged", reason: "FAILURE_BY_RATE_LIMIT,INVALID_PHONE" },
        { line: "+573001110001,+573001110002" },
        { line: `${UNKNOWN},+525511110004` },
        { template: "otp_login,welcome_v2", class: "retry_later,fix_then_retry" },
      ];
      let listed = 0;
      let withoutE164 = 0;
      for (const which of ["retry", "suppress"] as const) {
        for (const [label, window] of Object.entries(windows)) {
          for (const filter of judgedFilters) {
            const request = parseExportRequest(new URLSearchParams({ ...window, ...filter }));
            const judged = await listRows(function* (dialect, upperId) {
              return listSelectJudgedEach(dialect, which, request, upperId);
            });
            const reference = await listRows(function* (dialect, upperId) {
              return listSelect(dialect, which, request, upperId, true);
            });
            expect(judged, `${which} ${label} ${JSON.stringify(filter)}`).toEqual(reference);
            listed += reference!.length;
            withoutE164 += reference!.filter((row) => row.phone_e164 === null).length;
          }
        }
      }
      expect(listed).toBeGreaterThan(500);
      // Contacts known by their cellphone alone are judged too (the second index).
      expect(withoutE164).toBeGreaterThan(10);
    }, EXPORT_TEST_TIMEOUT_MS);

    it("leaves a phone search and several lines to the window function", async () => {
      for (const filter of [{ q: "3005" }, { line: "+573001110001,+573001110002" }] as Array<Record<string, string>>) {
        const request = parseExportRequest(new URLSearchParams({ ...windows["7d"]!, ...filter }));
        expect(await listRows((dialect, upperId) => listSelectFromState(dialect, "retry", request, upperId))).toBeNull();
      }
    });
  });

  describe("export access and input", () => {
    it("answers 401 without credentials and 403 to a viewer", async () => {
      for (const route of Object.keys(routes) as Array<keyof typeof routes>) {
        const anonymous = await get(route, { list: "retry" }, {});
        expectError({ status: anonymous.status, headers: anonymous.headers, json: await anonymous.json() }, 401, "unauthorized");
        const asViewer = await get(route, { list: "retry" }, viewer.headers);
        expectError({ status: asViewer.status, headers: asViewer.headers, json: await asViewer.json() }, 403, "forbidden");
      }
    });

    it("answers 400 naming the bad parameter", async () => {
      const cases: Array<[keyof typeof routes, Record<string, string>, string]> = [
        ["failures", { range: "2y" }, "range"],
        ["failures", { bom: "yes" }, "bom"],
        ["failures", { at: "yesterday" }, "at"],
        ["failures", { tz: "Mars/Olympus" }, "tz"],
        ["incidents", { count: "true" }, "count"],
        ["contacts", { list: "everyone" }, "list"],
        ["contacts", {}, "list"],
        ["contacts", { list: "retry", class: "maybe" }, "class"],
      ];
      for (const [route, query, field] of cases) {
        const response = await get(route, query);
        const body = (await response.json()) as { error: { message: string; details: Array<{ path: string }> } };
        expect(response.status, `${route} ${JSON.stringify(query)}`).toBe(400);
        expect(body.error.details[0]!.path).toBe(field);
        expect(body.error.message).toContain(field);
      }
    });
  });
}, EXPORT_TEST_TIMEOUT_MS);

describe("csvRecord", () => {
  it("writes what csv-stringify writes, for random cells with every special character", () => {
    const rand = seededRandom(7);
    const alphabet = ["a", "Z", "9", ",", '"', "\r", "\n", "\t", "=", "+", "-", "@", " ", "ñ", "🎉", "'", ";", "＋"];
    for (let n = 0; n < 3000; n++) {
      const cells: Cell[] = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => {
        const roll = rand();
        if (roll < 0.1) return null;
        if (roll < 0.2) return Math.floor(rand() * 1e6);
        return Array.from({ length: Math.floor(rand() * 6) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
      });
      const neutralised = cells.map((c) => (typeof c === "string" ? neutral(c) : c === null ? "" : String(c)));
      expect(csvRecord(cells)).toBe(stringify([neutralised], STRINGIFY_OPTIONS));
      expect(parse(csvRecord(cells))).toEqual([neutralised]);
    }
  });

  it("keeps hour-aligned local times exact across a DST change", async () => {
    const { isoInZone } = await import("./failures");
    const local = isoInZone("America/New_York");
    expect(local(Date.parse("2026-03-08T06:59:59.999Z"))).toBe("2026-03-08T01:59:59.999-05:00");
    expect(local(Date.parse("2026-03-08T07:00:00.000Z"))).toBe("2026-03-08T03:00:00.000-04:00");
  });
});
