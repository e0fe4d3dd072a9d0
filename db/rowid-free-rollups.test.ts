import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { commitEvents } from "@/lib/ingest/group-commit";
import { failureDataset } from "@/lib/testing/failure-dataset";
import { databaseBefore, migrationStatements, withLaterColumns } from "@/lib/testing/migrations-before";
import { openDatabase } from "./client";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-rowid-free-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TABLES = {
  rollup_quarter_reason: "bucket, reason",
  incident_hours: "incident_id, bucket",
  phone_gram_hour_line: "bucket, reason, line",
  phone_gram_hour_template: "bucket, reason, template",
  phone_gram_day_line: "bucket, reason, line",
  phone_gram_day_template: "bucket, reason, template",
} as const;

const NOW = Date.UTC(2026, 10, 26, 12);
/** Migrations after rowid_free_rollups that add tables today's ingest writes. */
const LATER_MIGRATIONS = ["phone_gram_reasons", "contact_lacking_quarters"];

function contents(sqlite: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(TABLES).map(([table, key]) => [table, sqlite.prepare(`SELECT * FROM ${table} ORDER BY ${key}`).all()]));
}

describe("migration rowid_free_rollups", () => {
  it("keeps every row of the rollups it rebuilds WITHOUT ROWID, which ingest then updates in place", async () => {
    const file = path.join(dir, "upgrade.db");
    const old = databaseBefore(dir, file, "rowid_free_rollups");
    // Today's ingest also writes tables later migrations add (and fill from what is stored then):
    // made for it here, dropped before the upgrade.
    const laterTables = LATER_MIGRATIONS.flatMap((tag) => migrationStatements("sqlite", tag).filter((statement) => statement.startsWith("CREATE TABLE")));
    for (const statement of laterTables) old.exec(statement);
    const { prepared } = failureDataset({ now: NOW, seed: 7, count: 600 });
    await withLaterColumns(old, ["cube_incidents"], () => commitEvents({ sqlite: old }, prepared));
    for (const statement of laterTables) old.exec(`DROP TABLE ${/CREATE TABLE (`[^`]+`)/.exec(statement)![1]}`);
    const before = contents(old);
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);
    expect(old.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_%' AND tbl_name IN (SELECT value FROM json_each(?))").get(JSON.stringify(Object.keys(TABLES)))).toEqual({ n: 6 });
    old.close();

    const { sqlite } = openDatabase(file);
    try {
      expect(contents(sqlite)).toEqual(before);
      const definitions = sqlite.prepare("SELECT name, type, sql FROM sqlite_master WHERE tbl_name IN (SELECT value FROM json_each(?)) ORDER BY name").all(JSON.stringify(Object.keys(TABLES))) as Array<{
        name: string;
        type: string;
        sql: string;
      }>;
      // One b-tree per table (no autoindex of its key), and incident_hours keeps its bucket index for retention.
      expect(definitions.map((d) => d.name)).toEqual(["incident_hours", "incident_hours_bucket_idx", ...Object.keys(TABLES).filter((t) => t !== "incident_hours").sort()]);
      for (const d of definitions.filter((d) => d.type === "table")) expect(d.sql, d.name).toMatch(/\) WITHOUT ROWID$/);

      // The same failures again under new ids: every counter doubles, no row is added.
      const again = failureDataset({ now: NOW, seed: 7, count: 600 }).prepared.map((e) => ({ ...e, dedupeKey: `again-${e.dedupeKey}` }));
      await commitEvents({ sqlite }, again);
      const after = contents(sqlite);
      const doubled = (rows: unknown[]) =>
        rows.map((row) => Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k, k === "failures" || k.startsWith("g_") ? (v as number) * 2 : v])));
      for (const table of Object.keys(TABLES)) expect(after[table], table).toEqual(doubled(before[table]!));
    } finally {
      sqlite.close();
    }
  });
});
