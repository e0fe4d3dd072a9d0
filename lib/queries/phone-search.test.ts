import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import type { Engine, Param } from "@/db/engine";
import { inSnapshot } from "@/db/snapshot";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { parseFilters } from "@/lib/filters";
import { clearFieldMappingCache, readFieldMapping, replaceFieldMapping } from "@/lib/ingest/field-mapping";
import { commitEventsTo } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { PHONE_GRAM_ROLLUPS } from "@/lib/ingest/phone-gram-tallies";
import { reprocessQuarantined } from "@/lib/ingest/reprocess";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { purgeOlderThan, retentionCutoff } from "@/lib/ops/retention";
import { WEBHOOK_PATH } from "@/lib/server/webhook-listener";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, loadFailureDatasetTo, mixIncidentStatusesOn, plainSqlWhere, type PlainSqlFilter } from "@/lib/testing/failure-dataset";
import { failureEvent } from "@/lib/testing/fixtures";
import { migrationStatements } from "@/lib/testing/migrations-before";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { countOn, expectOverviewEqualsPlainSql } from "@/lib/testing/plain-sql";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { parseFailurePage } from "./failure-page";
import { rawConditions } from "./failure-filter";
import { listFailures } from "./failures";
import { parseIncidentPage } from "./incident-page";
import { listIncidents } from "./incidents";
import { startWebhookServer, type WebhookTestServer } from "@/lib/testing/webhook-server";

// Phone search (`q`) of 1, 2, 3 and 5 digits, alone and with other filters and zones, against
// plain SQL over the raw failures: one or two digits are counted from the phone-gram rollups,
// three or more through the trigram index. Then again after a retention purge, and after more
// failures arrive through the real webhook endpoint (so through ingest's group commit). On both engines.

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);
/** The tests that check every case again after a change: on a loaded machine PostgreSQL's take longer than the default. */
const SLOW_TEST_TIMEOUT_MS = 120_000;

let webhooks: WebhookTestServer;
let origin = "";

beforeAll(async () => {
  webhooks = await startWebhookServer();
  origin = webhooks.origin;
});
afterAll(async () => {
  await webhooks.close();
  await databases.cleanup();
});

interface Case {
  name: string;
  query: string;
  digits: string;
  days: number;
  tz?: string;
  reasons?: string[];
  lines?: string[];
  templates?: string[];
  statuses?: string[];
}

const [L1, L2] = DATASET_LINES;
const [T1] = DATASET_TEMPLATES;
const DO_NOT_CONTACT = ["INVALID_PHONE", "FAILURE_BY_BLOCKED_CONTACT", "FAILURE_BY_OPTOUT_CONTACT", "FAILURE_BY_UNABLE_TO_CONTACT", "FAILURE_BY_EXPERIMENT_NUMBER"];

/** Five digits out of the busiest number (its middle), as the benchmark searches. */
const fiveDigits = async (engine: Engine) =>
  (await engine.one<{ phone: string }>("SELECT phone_e164 AS phone FROM failures WHERE phone_e164 IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"))!.phone.slice(-7, -2);

const CASES: Array<Omit<Case, "digits"> & { digits: string | ((engine: Engine) => Promise<string>) }> = [
  { name: "one digit, 90 days", query: "q=3", digits: "3", days: 90 },
  { name: "one digit, 24 hours, Asia/Kolkata", query: "q=7", digits: "7", days: 1, tz: "Asia/Kolkata" },
  { name: "one digit, 30 days (day buckets), Asia/Kolkata", query: "q=0", digits: "0", days: 30, tz: "Asia/Kolkata" },
  { name: "one digit + class, 7 days, Asia/Kathmandu", query: "q=9&class=do_not_contact", digits: "9", days: 7, tz: "Asia/Kathmandu", reasons: DO_NOT_CONTACT },
  { name: "two digits typed with a separator, 7 days", query: "q=5-7", digits: "57", days: 7 },
  { name: "two digits + line, 90 days, America/Bogota", query: `q=30&line=${encodeURIComponent(L1!)}`, digits: "30", days: 90, tz: "America/Bogota", lines: [L1!] },
  { name: "two digits + template, 30 days", query: `q=12&template=${encodeURIComponent(T1!)}`, digits: "12", days: 30, templates: [T1!] },
  { name: "two digits + line + template, 90 days", query: `q=45&line=${encodeURIComponent(L2!)}&template=${encodeURIComponent(T1!)}`, digits: "45", days: 90, lines: [L2!], templates: [T1!] },
  { name: "one digit + status, 90 days, Asia/Kolkata", query: "q=1&status=acknowledged,open", digits: "1", days: 90, tz: "Asia/Kolkata", statuses: ["acknowledged", "open"] },
  { name: "two digits + reason, 90 days", query: "q=88&reason=FAILURE_BY_RATE_LIMIT,INVALID_PHONE", digits: "88", days: 90, reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE"] },
  { name: "three digits, 90 days, Asia/Kolkata", query: "q=305", digits: "305", days: 90, tz: "Asia/Kolkata" },
  { name: "three digits + line, 7 days", query: `q=555&line=${encodeURIComponent(L1!)}`, digits: "555", days: 7, lines: [L1!] },
  { name: "three digits + status, 90 days", query: "q=305&status=acknowledged", digits: "305", days: 90, statuses: ["acknowledged"] },
  { name: "five digits, 90 days", query: "q=FIVE", digits: fiveDigits, days: 90 },
  { name: "five digits, 24 hours, Asia/Kolkata", query: "q=FIVE", digits: fiveDigits, days: 1, tz: "Asia/Kolkata" },
];

/** A case as plain SQL: its filters and the digits anywhere in the number, with or without E.164. */
const plainFilter = (c: Case): PlainSqlFilter => ({
  ...c,
  also: { sql: "(coalesce(f.phone_e164, '') LIKE ? OR coalesce(f.cellphone, '') LIKE ?)", params: [`%${c.digits}%`, `%${c.digits}%`] },
});

const resolved = async (c: (typeof CASES)[number], engine: Engine): Promise<Case> => ({ ...c, digits: typeof c.digits === "function" ? await c.digits(engine) : c.digits });

describe.each(ENGINES)("phone search on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens (PostgreSQL keeps them in its own database).
    await webhookSecretAtStart();
    await readFieldMapping();
    await loadFailureDatasetTo(engine, { now: NOW, seed: 23, count: 4000, exactly: [NOW - DAY, NOW - 7 * DAY, NOW - 30 * DAY] });
    await mixIncidentStatusesOn(engine);
  }, CLUSTER_START_TIMEOUT_MS + 300_000);

  const count = (sql: string, params: Param[], what?: string) => countOn(engine, { sql, params }, what);

  async function expectEqualToPlainSql(c: Case): Promise<void> {
    const from = NOW - c.days * DAY;
    const params = new URLSearchParams(`from=${new Date(from).toISOString()}&to=${new Date(NOW).toISOString()}&${c.query.replace("FIVE", c.digits)}`);
    if (c.tz) params.set("tz", c.tz);
    const filters = parseFilters(params);
    const filter = plainFilter(c);
    const w = plainSqlWhere(filter, from, NOW);

    const { stats, total } = await expectOverviewEqualsPlainSql(engine, filters, filter, from, NOW);
    expect(stats.contactsApproximate).toBe(false);
    expect(stats.contacts, "contacts").toBe(await count(w.sql, w.params, "count(DISTINCT coalesce(f.phone_e164, f.cellphone))"));

    const page = await inSnapshot(engine, (dialect) => listFailures(dialect, filters, parseFailurePage(new URLSearchParams("limit=25")), NOW));
    expect(page.total, "failures total").toBe(total);
    const ids = (await engine.query<{ id: number }>(`SELECT f.id AS id ${w.sql} ORDER BY f.occurred_at DESC, f.id DESC LIMIT 25`, w.params)).map((r) => r.id);
    expect(page.items.map((r) => r.id), "first page").toEqual(ids);

    const incidents = await inSnapshot(engine, (dialect) => listIncidents(dialect, filters, parseIncidentPage(new URLSearchParams()), null, NOW));
    const tabs = plainSqlWhere({ ...filter, statuses: undefined }, from, NOW);
    const byStatus = await engine.query<{ k: string; n: number }>(`SELECT i.status AS k, count(DISTINCT i.id) AS n ${tabs.sql} GROUP BY 1`, tabs.params);
    const counts = Object.fromEntries(Object.entries(incidents.counts).filter(([k, n]) => k !== "assignedToMe" && n > 0));
    expect(counts, "incident tabs").toEqual(Object.fromEntries(byStatus.map((r) => [r.k, r.n])));
    // The overview's tile counts open incidents whatever the status filter (it links to status=open).
    expect(stats.openIncidents, "open incidents tile").toBe(byStatus.find((r) => r.k === "open")?.n ?? 0);
    const shown = filter.statuses ?? ["open"];
    expect(incidents.total, "incidents listed").toBe(byStatus.filter((r) => shown.includes(r.k)).reduce((sum, r) => sum + r.n, 0));
    expect(incidents.items.length, "first page of incidents").toBe(Math.min(incidents.total, 50));
  }

  describe("phone search equals plain SQL", () => {
    it("counts one- and two-digit searches from the phone-gram rollups", async () => {
      // Every gram a stored failure's phone holds, counted once per failure: each rollup agrees with the rows.
      const holds = (gram: string) => `sum(CASE WHEN coalesce(phone_e164, '') LIKE '%${gram}%' OR coalesce(cellphone, '') LIKE '%${gram}%' THEN 1 ELSE 0 END)`;
      const rows = await engine.one(`SELECT ${holds("3")} AS g3, ${holds("57")} AS g57, ${holds("00")} AS g00 FROM failures`);
      for (const table of PHONE_GRAM_ROLLUPS) {
        expect(await engine.one(`SELECT sum(g_3) AS g3, sum(g_57) AS g57, sum(g_00) AS g00 FROM ${table}`), table).toEqual(rows);
      }
    });

    it("the per-reason rollups' migration builds them from the per-line ones as ingest built them", async () => {
      const tables = ["phone_gram_hour_reason", "phone_gram_day_reason"];
      const snapshot = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await engine.query(`SELECT * FROM ${t} ORDER BY 1, 2`)])));
      const built = await snapshot();
      expect(built.phone_gram_hour_reason!.length).toBeGreaterThan(100);
      const backfill = migrationStatements(name, "phone_gram_reasons").filter((statement) => statement.startsWith("INSERT INTO"));
      expect(backfill).toHaveLength(2);
      await engine.transaction(async (tx) => {
        for (const t of tables) await tx.exec(`DELETE FROM ${t}`);
        for (const statement of backfill) await tx.exec(statement);
      });
      expect(await snapshot()).toEqual(built);
    });

    // SQLite only: PostgreSQL's schema starts empty (db/migrations-pg creates the rollups with no backfill).
    if (name === "sqlite") it("the migration's backfill builds the rollups ingest built", () => {
      const sqlite = () => getDb().sqlite;
      const tables = PHONE_GRAM_ROLLUPS.filter((t) => !t.endsWith("_reason"));
      const snapshot = () => Object.fromEntries(tables.map((t) => [t, sqlite().prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4, 5`).all()]));
      const built = snapshot();
      const backfill = migrationStatements("sqlite", "phone_grams").filter((statement) => !/CREATE TABLE `phone_gram_(hour|day)/.test(statement));
      sqlite().transaction(() => {
        for (const t of tables) sqlite().prepare(`DELETE FROM ${t}`).run();
        for (const statement of backfill) sqlite().exec(statement);
      })();
      expect(snapshot()).toEqual(built);
    });

    for (const c of CASES) it(c.name, async () => expectEqualToPlainSql(await resolved(c, engine)));

    // A busy number's failures are one index range per matched contact, and every column its counts
    // and incidents read is in the index (an index-only scan; heap pages only for rows newer than
    // the visibility map): a heap page per failure would cost 90 ms per count at 10M.
    if (name === "postgres") it("reads a search's failures and their incidents index-only, by contact (failures_contact_cover_idx)", async () => {
      await engine.exec("VACUUM (ANALYZE) failures");
      const raw = rawConditions(parseFilters(new URLSearchParams(`q=${await fiveDigits(engine)}`)), engine.dialect);
      type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };
      const explained = (await engine.transaction(async (tx) => {
        // The dataset is small enough for a sequential scan to be cheaper: ask for an index.
        await tx.exec("SET LOCAL enable_seqscan = off");
        await tx.exec("SET LOCAL enable_bitmapscan = off");
        return tx.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) SELECT f.reason, f.line, f.template, f.incident_id, count(DISTINCT coalesce(f.phone_e164, f.cellphone)) AS n
           FROM failures f WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${raw.sql} GROUP BY 1, 2, 3, 4`,
          [NOW - 90 * DAY, NOW, ...raw.params],
        );
      })) as Array<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>;
      const plan = explained[0]!["QUERY PLAN"][0]!.Plan;
      const scans: PlanNode[] = [];
      const walk = (node: PlanNode) => {
        if (node["Relation Name"] === "failures") scans.push(node);
        node.Plans?.forEach(walk);
      };
      walk(plan);
      expect(scans.map((s) => [s["Node Type"], s["Index Name"]])).toEqual([["Index Only Scan", "failures_contact_cover_idx"]]);
      expect(scans[0]!["Actual Rows"]).toBeGreaterThan(0);
    });
  });

  describe("phone search after a retention purge, through the webhook and after re-processing", () => {
    it("still equals plain SQL after old days are purged", async () => {
      const cutoff = retentionCutoff(NOW, 45);
      const before = await count("FROM failures", []);
      await purgeOlderThan(cutoff);
      expect(await count("FROM failures", [])).toBeLessThan(before);
      for (const table of PHONE_GRAM_ROLLUPS) expect(await count(`FROM ${table} WHERE bucket < ?`, [cutoff]), table).toBe(0);
      for (const c of CASES.filter((x) => x.days === 90)) await expectEqualToPlainSql(await resolved(c, engine));
    }, SLOW_TEST_TIMEOUT_MS);

    it("counts failures that arrive through the webhook endpoint", async () => {
      // Numbers holding the searched digits, alone and among others, with and without E.164.
      const phones = ["3005557788", "3123456789", "3209998877", "3013030303", "3157775500"];
      const events = Array.from({ length: 60 }, (_, i) =>
        failureEvent({
          timestamp: new Date(NOW - (i + 1) * 97 * 60_000).toISOString(),
          failure_reason: i % 3 ? "FAILURE_BY_RATE_LIMIT" : "INVALID_PHONE",
          line: i % 2 ? L1 : L2,
          user: i % 7 === 0 ? { cellphone: phones[i % phones.length] } : { country_code: "57", cellphone: phones[i % phones.length] },
        }),
      );
      const answers = await Promise.all(
        events.map((body) =>
          fetch(`${origin}${WEBHOOK_PATH}?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(events.map(() => 200));
      for (const c of CASES.filter((x) => x.days <= 7 || x.days === 90)) await expectEqualToPlainSql(await resolved(c, engine));
    }, SLOW_TEST_TIMEOUT_MS);

    it("counts quarantined failures once re-processing accepts them", async () => {
      // The reason sits where only a field mapping finds it: quarantined first, accepted after.
      const events = Array.from({ length: 12 }, (_, i) => {
        const body = failureEvent({ timestamp: new Date(NOW - (i + 1) * 3 * 3_600_000).toISOString(), user: { country_code: "57", cellphone: `30${i}5557733` } });
        delete body.failure_reason;
        body.outcome = { code: "INVALID_PHONE" };
        return prepareEvent(body, JSON.stringify(body), NOW);
      });
      expect((await commitEventsTo(engine, events)).quarantined).toBe(12);
      await replaceFieldMapping({ reason: ["outcome.code"] }, { actor: SYSTEM_ACTOR, ip: null });
      clearFieldMappingCache();
      expect((await reprocessQuarantined({ scope: "quarantined" }, { actor: SYSTEM_ACTOR, ip: null })).accepted).toBe(12);
      for (const c of CASES.filter((x) => x.days === 90)) await expectEqualToPlainSql(await resolved(c, engine));
    }, SLOW_TEST_TIMEOUT_MS);
  });
});
