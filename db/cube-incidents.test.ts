import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { commitEvents } from "@/lib/ingest/group-commit";
import { failureDataset } from "@/lib/testing/failure-dataset";
import { databaseBefore, withLaterColumns } from "@/lib/testing/migrations-before";
import { openDatabase } from "./client";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-cube-incidents-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = Date.UTC(2026, 11, 5, 12);
const CUBES = ["rollup_hour", "rollup_day"] as const;

/** Cube rows whose incident_id is not the id of the incident with the row's key (null: none has it). */
const mismatched = (sqlite: Database.Database, table: string) =>
  sqlite
    .prepare(
      `SELECT r.bucket, r.reason, r.line, r.template, r.incident_id AS kept, i.id AS keyed FROM ${table} r
       LEFT JOIN incidents i ON i.reason = r.reason AND i.line_key = r.line AND i.template_key = r.template
       WHERE r.incident_id IS NOT i.id`,
    )
    .all();
const rowsWithIncident = (sqlite: Database.Database, table: string) => (sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE incident_id IS NOT NULL`).get() as { n: number }).n;

describe("migration cube_incidents", () => {
  it("gives each cube row the incident of its key (none when no incident has it), which ingest keeps current", async () => {
    const file = path.join(dir, "upgrade.db");
    const old = databaseBefore(dir, file, "cube_incidents");
    const { prepared } = failureDataset({ now: NOW, seed: 11, count: 800 });
    await withLaterColumns(old, ["cube_incidents"], () => commitEvents({ sqlite: old }, prepared));
    // A key whose incident retention purged while the rows of its last day wait for theirs.
    for (const table of CUBES) old.prepare(`INSERT INTO ${table} (bucket, reason, line, template, failures) VALUES (?, 'ACCOUNT_BLOCKED', 'purged', '', 3)`).run(NOW - 86_400_000);
    old.close();

    const { sqlite } = openDatabase(file);
    try {
      for (const table of CUBES) {
        expect(mismatched(sqlite, table), table).toEqual([]);
        expect(rowsWithIncident(sqlite, table), table).toBeGreaterThan(100);
        expect(sqlite.prepare(`SELECT incident_id FROM ${table} WHERE line = 'purged'`).get(), table).toEqual({ incident_id: null });
      }
      expect(sqlite.prepare("SELECT name FROM sqlite_master WHERE name = 'incidents_key_status_idx'").get()).toBeUndefined();

      // A purged incident's key fails again within a bucket its rows still count: the new incident's id replaces it.
      const again = prepared[0]!;
      const failure = again.failure!;
      const key = [failure.reason, failure.line ?? "", failure.template ?? ""];
      const purged = sqlite.prepare("SELECT id FROM incidents WHERE reason = ? AND line_key = ? AND template_key = ?").get(...key) as { id: number };
      sqlite.pragma("foreign_keys = OFF");
      for (const child of ["incident_contacts", "incident_activity", "incident_hours"]) sqlite.prepare(`DELETE FROM ${child} WHERE incident_id = ?`).run(purged.id);
      sqlite.prepare("DELETE FROM incidents WHERE id = ?").run(purged.id);
      sqlite.pragma("foreign_keys = ON");
      const hour = again.occurredAt - (again.occurredAt % 3_600_000);
      const before = sqlite.prepare("SELECT failures, incident_id FROM rollup_hour WHERE bucket = ? AND reason = ? AND line = ? AND template = ?").get(hour, ...key) as { failures: number; incident_id: number };
      expect(before.incident_id).toBe(purged.id);

      await commitEvents({ sqlite }, [{ ...again, dedupeKey: `again-${again.dedupeKey}` }]);
      const successor = sqlite.prepare("SELECT id FROM incidents WHERE reason = ? AND line_key = ? AND template_key = ?").get(...key) as { id: number };
      expect(successor.id).not.toBe(purged.id);
      expect(sqlite.prepare("SELECT failures, incident_id FROM rollup_hour WHERE bucket = ? AND reason = ? AND line = ? AND template = ?").get(hour, ...key)).toEqual({
        failures: before.failures + 1,
        incident_id: successor.id,
      });
      // Its other rows (all older than retention's cutoff, which purges incidents last seen before
      // it) keep the purged id: under no status, as before, until retention deletes them too.
      for (const table of CUBES) {
        const stale = mismatched(sqlite, table).filter((row) => (row as { line: string }).line !== "purged");
        expect(stale.length, table).toBeGreaterThan(0);
        expect(new Set(stale.map((row) => (row as { kept: number }).kept)), table).toEqual(new Set([purged.id]));
      }
    } finally {
      sqlite.close();
    }
  });
});
