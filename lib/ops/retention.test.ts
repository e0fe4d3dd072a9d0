import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { storeEvents } from "@/lib/ingest/store";
import { failureEvent } from "@/lib/testing/fixtures";
import { clearIntakeTables, setupTempDatabase } from "@/lib/testing/temp-db";
import { purgeOlderThan, retentionCutoff } from "./retention";

const tempDb = setupTempDatabase({ LOG_LEVEL: "silent" });
afterAll(() => tempDb.cleanup());
beforeEach(() => clearIntakeTables());

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 15, 30);

/** Stores failures (and one hsm.status, one session.close, one quarantined event) occurring `daysAgo` days before NOW, a few hours apart. */
function storeDay(daysAgo: number, count: number, line: string): void {
  const events = Array.from({ length: count }, (_, i) => {
    const at = new Date(NOW - daysAgo * DAY - i * 3_600_000).toISOString();
    const body = failureEvent({ timestamp: at, line, user: { country_code: "57", cellphone: String(3_100_000_000 + daysAgo * 1000 + i) } });
    return prepareEvent(body, JSON.stringify(body), NOW);
  });
  const status = { event_type: "hsm.status", event_id: `status-${daysAgo}-${line}`, timestamp: new Date(NOW - daysAgo * DAY).toISOString(), hsm: { name: "welcome_v2" }, status: "APPROVED" };
  events.push(prepareEvent(status, JSON.stringify(status), NOW));
  const closed = { event_type: "session.close", event_id: `session-${daysAgo}-${line}`, timestamp: new Date(NOW - daysAgo * DAY).toISOString(), company: { cellphone: line } };
  events.push(prepareEvent(closed, JSON.stringify(closed), NOW));
  const unreadable = { event_type: "deployment.failure", event_id: `quarantined-${daysAgo}-${line}`, timestamp: new Date(NOW - daysAgo * DAY).toISOString() };
  events.push(prepareEvent(unreadable, JSON.stringify(unreadable), NOW));
  storeEvents(getDb(), events);
}

const count = (sql: string, ...args: unknown[]) => getDb().sqlite.prepare(sql).pluck().get(...args) as number;

describe("retention", () => {
  it("aligns the cutoff to a UTC day start", () => {
    expect(retentionCutoff(NOW, 30)).toBe(Date.UTC(2026, 9, 26));
    expect(retentionCutoff(Date.UTC(2026, 10, 25), 1)).toBe(Date.UTC(2026, 10, 24));
  });

  it("purges old rows in small batches and keeps the rollups equal to the retained rows", async () => {
    storeDay(40, 30, "+573000000040"); // purged
    storeDay(31, 25, "+573000000031"); // purged: before the cutoff's day
    storeDay(29, 20, "+573000000029"); // kept
    storeDay(0, 5, "+573000000000"); // kept
    const sqlite = getDb().sqlite;
    // An incident entirely in the purged range that was resolved goes; the others stay.
    sqlite.prepare("UPDATE incidents SET status = 'resolved' WHERE line_key = '+573000000040'").run();
    const cutoff = retentionCutoff(NOW, 30);

    const result = await purgeOlderThan(sqlite, cutoff, 7);
    expect(result).toMatchObject({ rawEvents: 61, failures: 55, templateStatus: 2, closedSessions: 2, incidents: 1 });
    expect(count("SELECT count(*) FROM raw_events WHERE occurred_at < ?", cutoff)).toBe(0);
    expect(count("SELECT count(*) FROM failures")).toBe(25);
    expect(count("SELECT count(*) FROM template_status_events")).toBe(2);
    expect(count("SELECT count(*) FROM closed_sessions")).toBe(2);
    expect(count("SELECT count(*) FROM raw_events WHERE problems IS NOT NULL")).toBe(2);
    for (const table of ["rollup_hour_reason", "rollup_hour_line", "rollup_hour_template", "rollup_day_line", "rollup_day_template", "rollup_hour", "rollup_day"]) {
      expect(count(`SELECT coalesce(sum(failures), 0) FROM ${table}`), table).toBe(25);
      expect(count(`SELECT count(*) FROM ${table} WHERE bucket < ?`, cutoff), table).toBe(0);
    }
    expect(count("SELECT count(*) FROM contact_sketch_day WHERE bucket < ?", cutoff)).toBe(0);
    expect(count("SELECT count(*) FROM contact_sketch_day")).toBeGreaterThan(0);
    // The resolved incident is gone with its contacts; the open one keeps its lifetime counters.
    expect(count("SELECT count(*) FROM incidents WHERE line_key = '+573000000040'")).toBe(0);
    expect(count("SELECT count(*) FROM incident_contacts WHERE incident_id NOT IN (SELECT id FROM incidents)")).toBe(0);
    expect(count("SELECT failures FROM incidents WHERE line_key = '+573000000031'")).toBe(25);
    expect(sqlite.pragma("foreign_key_check")).toEqual([]);

    // Idempotent: a second run finds nothing.
    expect(await purgeOlderThan(sqlite, cutoff)).toEqual({ rawEvents: 0, failures: 0, templateStatus: 0, closedSessions: 0, buckets: 0, incidents: 0 });
  });

  it("lets ingest commit between purge batches", async () => {
    storeDay(40, 50, "+573000000040");
    const sqlite = getDb().sqlite;
    let storedDuringPurge = 0;
    const writer = setInterval(() => {
      storeDay(0, 1, `+57300000${String(storedDuringPurge).padStart(4, "0")}`);
      storedDuringPurge++;
    }, 0);
    try {
      await purgeOlderThan(sqlite, retentionCutoff(NOW, 30), 2);
    } finally {
      clearInterval(writer);
    }
    expect(storedDuringPurge).toBeGreaterThan(0);
    expect(count("SELECT count(*) FROM failures")).toBe(storedDuringPurge);
  });
});
