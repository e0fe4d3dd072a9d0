import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { commitEvents } from "@/lib/ingest/group-commit";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { failureEvent } from "@/lib/testing/fixtures";
import { databaseBefore, withLaterColumns } from "@/lib/testing/migrations-before";
import { openDatabase } from "./client";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-not-failure-index-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = Date.UTC(2026, 10, 26, 12);
const at = new Date(NOW - 3_600_000).toISOString();
const EVENTS = [
  failureEvent({ event_id: "failure", timestamp: at }),
  { event_type: "hsm.status", event_id: "status", timestamp: at, hsm: { name: "welcome_v2" }, status: "APPROVED" },
  { event_type: "session.close", event_id: "session", timestamp: at, company: { cellphone: "+573000000001" } },
  { event_type: "deployment.failure", event_id: "quarantined", timestamp: at },
  { event_type: "contact.opted_in", event_id: "other", timestamp: at },
].map((event) => prepareEvent(event, JSON.stringify(event), NOW));

const typesOf = (sqlite: Database.Database) =>
  Object.fromEntries(
    (sqlite.prepare("SELECT event_type FROM raw_events ORDER BY id").all() as Array<{ event_type: string }>).map((row, i) => [EVENTS[i]!.eventId, row.event_type]),
  );
const indexesOf = (sqlite: Database.Database) =>
  (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'raw_events' AND sql IS NOT NULL ORDER BY name").all() as Array<{ name: string }>).map((row) => row.name);

describe("migration not_failure_index", () => {
  it("gives template statuses' and closed sessions' raw events their type back and indexes only the raw events that are not failures", async () => {
    const file = path.join(dir, "upgrade.db");
    const old = databaseBefore(dir, file, "not_failure_index");
    await withLaterColumns(old, ["cube_incidents"], () => commitEvents({ sqlite: old }, EVENTS));
    // As the code before stored them: "" for every event that became a row of its own.
    old.exec("UPDATE raw_events SET event_type = '' WHERE id IN (SELECT raw_event_id FROM template_status_events UNION ALL SELECT raw_event_id FROM closed_sessions)");
    expect(typesOf(old)).toEqual({ failure: "", status: "", session: "", quarantined: "deployment.failure", other: "contact.opted_in" });
    expect(indexesOf(old)).toContain("raw_events_occurred_at_idx");
    old.close();

    const { sqlite } = openDatabase(file);
    try {
      expect(typesOf(sqlite)).toEqual({ failure: "", status: "hsm.status", session: "session.close", quarantined: "deployment.failure", other: "contact.opted_in" });
      expect(indexesOf(sqlite)).toEqual(["raw_events_dedupe_key_idx", "raw_events_not_failure_occurred_at_idx", "raw_events_quarantined_idx"]);
      // Every raw event but the failure's is in the partial index (read through it: INDEXED BY fails otherwise).
      const indexed = sqlite.prepare("SELECT id FROM raw_events INDEXED BY raw_events_not_failure_occurred_at_idx WHERE (event_type <> '' OR problems IS NOT NULL) AND occurred_at < ?").all(NOW);
      expect(indexed).toHaveLength(4);
    } finally {
      sqlite.close();
    }
  });
});
