import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import type { Engine, Param } from "@/db/engine";
import { parseFilters } from "@/lib/filters";
import { purgeOlderThan, retentionCutoff } from "@/lib/ops/retention";
import { WEBHOOK_PATH } from "@/lib/server/webhook-listener";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { webhookSecretAtStart } from "@/lib/ingest/webhook-secret";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { DATASET_LINES, DATASET_TEMPLATES, DAY, HOUR, loadFailureDatasetTo, MINUTE, mixIncidentStatusesOn } from "@/lib/testing/failure-dataset";
import { failureEvent } from "@/lib/testing/fixtures";
import { migrationStatements } from "@/lib/testing/migrations-before";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { countOn, expectOverviewEqualsPlainSql } from "@/lib/testing/plain-sql";
import { TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { startWebhookServer, type WebhookTestServer } from "@/lib/testing/webhook-server";

// A line combined with a template (and with reasons or statuses) against plain SQL over the raw
// failures: whole days from the daily cube, whole hours from the hourly cube (rollup_hour), only
// partial hours at the window's edges from raw rows. Then after a retention purge, and after more
// failures arrive through the real webhook endpoint (ingest's group commit). On both engines.

const databases = setupEngineDatabases({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, LOG_LEVEL: "silent" });
const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);

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
  days: number;
  /** A custom start instead of `days` before NOW. */
  from?: number;
  lines?: string[];
  templates?: string[];
  reasons?: string[];
  statuses?: string[];
  tz?: string;
}

const [L1, L2] = DATASET_LINES;
const [T1, T2] = DATASET_TEMPLATES;

const CASES: Case[] = [
  { name: "line + template, 24 hours", days: 1, lines: [L1], templates: [T1] },
  { name: "line + template, 7 days", days: 7, lines: [L1], templates: [T1] },
  { name: "line + template, 90 days", days: 90, lines: [L2], templates: [T1] },
  { name: "line + template, 24 hours, Asia/Kolkata", days: 1, lines: [L1], templates: [T2], tz: "Asia/Kolkata" },
  { name: "line + template, 7 days, America/Bogota", days: 7, lines: [L2], templates: [T2], tz: "America/Bogota" },
  { name: "line + template, 90 days, Asia/Kolkata", days: 90, lines: [L1], templates: [T1], tz: "Asia/Kolkata" },
  { name: "line + template, 90 days, America/Bogota", days: 90, lines: [L2], templates: [T1], tz: "America/Bogota" },
  { name: "two lines + template + reasons, 30 days", days: 30, lines: [L1, L2], templates: [T2], reasons: ["FAILURE_BY_RATE_LIMIT", "INVALID_PHONE"] },
  { name: "line + status, 7 days", days: 7, lines: [L1], statuses: ["acknowledged", "open"] },
];

const query = (c: Case) => {
  const params = new URLSearchParams();
  if (c.lines) params.set("line", c.lines.join(","));
  if (c.templates) params.set("template", c.templates.join(","));
  if (c.reasons) params.set("reason", c.reasons.join(","));
  if (c.statuses) params.set("status", c.statuses.join(","));
  return params;
};

describe.each(ENGINES)("line + template on %s", (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await databases.use(name);
    // As the server does at start, before its port opens (PostgreSQL keeps them in its own database).
    await webhookSecretAtStart();
    await readFieldMapping();
    await loadFailureDatasetTo(engine, { now: NOW, seed: 29, count: 4000, exactly: [NOW - DAY, NOW - 7 * DAY, NOW - 30 * DAY] });
    await mixIncidentStatusesOn(engine);
  }, CLUSTER_START_TIMEOUT_MS + 120_000);

  const count = (sql: string, params: Param[]) => countOn(engine, { sql, params });

  async function expectEqualToPlainSql(c: Case): Promise<void> {
    const from = c.from ?? NOW - c.days * DAY;
    const params = query(c);
    params.set("from", new Date(from).toISOString());
    params.set("to", new Date(NOW).toISOString());
    if (c.tz) params.set("tz", c.tz);
    await expectOverviewEqualsPlainSql(engine, parseFilters(params), c, from, NOW);
  }

  /** rollup_hour recomputed from the stored failures, as ingest counts them (a key's failures share its incident). */
  const hourCubeFromFailures = () =>
    engine.query(
      "SELECT occurred_at / 3600000 * 3600000 AS bucket, reason, line, template, count(*) AS failures, min(incident_id) AS incident_id FROM failures GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    );
  const hourCube = () => engine.query("SELECT bucket, reason, line, template, failures, incident_id FROM rollup_hour ORDER BY 1, 2, 3, 4");

  describe("line + template equals plain SQL", () => {
    it("keeps the hourly cube equal to the failures it counts", async () => {
      expect((await hourCube()).length).toBeGreaterThan(0);
      expect(await hourCube()).toEqual(await hourCubeFromFailures());
    });

    // SQLite only: PostgreSQL's schema starts empty (db/migrations-pg creates the cube with no backfill).
    if (name === "sqlite") it("the migrations' backfills build the cube ingest built", async () => {
      const sqlite = () => getDb().sqlite;
      const built = await hourCube();
      // The cube's rows, then their incidents.
      const backfill = [
        ...migrationStatements("sqlite", "hour_cube").filter((statement) => statement.includes("INSERT INTO")),
        ...migrationStatements("sqlite", "cube_incidents").filter((statement) => statement.includes("UPDATE `rollup_hour`")),
      ];
      expect(backfill).toHaveLength(2);
      sqlite().transaction(() => {
        sqlite().prepare("DELETE FROM rollup_hour").run();
        for (const statement of backfill) sqlite().exec(statement);
      })();
      expect(await hourCube()).toEqual(built);
    });

    for (const c of CASES) it(c.name, () => expectEqualToPlainSql(c));
  });

  describe("line + template after a retention purge and through the webhook", () => {
    it("still equals plain SQL after old days are purged", async () => {
      const cutoff = retentionCutoff(NOW, 45);
      const before = await count("FROM failures", []);
      await purgeOlderThan(cutoff);
      expect(await count("FROM failures", [])).toBeLessThan(before);
      expect(await count("FROM rollup_hour WHERE bucket < ?", [cutoff])).toBe(0);
      expect(await hourCube()).toEqual(await hourCubeFromFailures());
      for (const c of CASES.filter((x) => x.days === 90)) await expectEqualToPlainSql(c);
    });

    it("counts failures that arrive through the webhook endpoint", async () => {
      const events = Array.from({ length: 60 }, (_, i) =>
        failureEvent({
          timestamp: new Date(NOW - (i + 1) * 37 * 60_000).toISOString(),
          failure_reason: i % 3 ? "FAILURE_BY_RATE_LIMIT" : "INVALID_PHONE",
          line: i % 2 ? L1 : L2,
          hsm: { name: i % 4 < 2 ? T1 : T2 },
        }),
      );
      const answers = await Promise.all(
        events.map((body) =>
          fetch(`${origin}${WEBHOOK_PATH}?token=${TEST_WEBHOOK_SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(events.map(() => 200));
      expect(await hourCube()).toEqual(await hourCubeFromFailures());
      for (const c of CASES) await expectEqualToPlainSql(c);
    });

    it("still equals plain SQL after a purge whose cutoff falls inside an hour the window starts in", async () => {
      // Last: production cutoffs fall on midnights, and this one leaves the hourly cube short of the
      // failures (the cutoff's hour leaves the rollups whole while its later failures stay). A window
      // starting 5 minutes into that hour must not count its first 55 minutes from that rollup.
      const late = (await engine.one<{ at: number }>("SELECT occurred_at AS at FROM failures WHERE occurred_at >= ? AND occurred_at % ? > ? ORDER BY occurred_at LIMIT 1", [
        NOW - 41 * DAY,
        HOUR,
        15 * MINUTE,
      ]))!.at;
      const hour = late - (late % HOUR);
      await purgeOlderThan(hour + 10 * MINUTE);
      const left = await count("FROM failures WHERE occurred_at >= ? AND occurred_at < ?", [hour, hour + HOUR]);
      expect(left, "the dataset has failures in the rest of that hour").toBeGreaterThan(0);
      await expectEqualToPlainSql({ name: "no filter from inside the cut hour", days: 0, from: hour + 5 * MINUTE });
      await expectEqualToPlainSql({ name: "a line from inside the cut hour", days: 0, from: hour + 5 * MINUTE, lines: [L1] });
    });
  });
});
