import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { sqliteDialect } from "@/db/sqlite/engine";
import { runSteps } from "@/db/steps";
import { parseFilters } from "@/lib/filters";
import { DATASET_LINES, DAY, loadFailureDataset, mixIncidentStatuses } from "@/lib/testing/failure-dataset";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { parseIncidentPage } from "./incident-page";
import { listIncidents } from "./incidents";

const tempDb = setupTempDatabase();
afterAll(() => tempDb.cleanup());

const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);
beforeAll(() => {
  loadFailureDataset({ now: NOW, seed: 11, exactly: [NOW - 7 * DAY] });
  mixIncidentStatuses();
});

const sqlite = () => getDb().sqlite;

/** Incidents per status with a failure in the window whose contact holds the digits: plain SQL. */
function reference(digits: string, from: number, line?: string): Record<string, number> {
  const rows = sqlite()
    .prepare(
      `SELECT i.status AS status, count(DISTINCT i.id) AS n FROM failures f JOIN incidents i ON i.id = f.incident_id
       WHERE f.occurred_at >= ? AND f.occurred_at < ? AND (instr(coalesce(f.phone_e164, ''), ?) > 0 OR instr(coalesce(f.cellphone, ''), ?) > 0)
         AND (? IS NULL OR f.line = ?)
       GROUP BY 1`,
    )
    .all(from, NOW, digits, digits, line ?? null, line ?? null) as Array<{ status: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

function busiestPhone(): string {
  return sqlite().prepare("SELECT phone_e164 FROM failures WHERE phone_e164 IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").pluck().get() as string;
}

describe("incidents under a phone search equal plain SQL", () => {
  const cases = [
    { name: "a middle part of a number (trigram index)", digits: () => busiestPhone().slice(3, 9), range: "90d", from: NOW - 90 * DAY },
    { name: "three digits, 7 days, a line", digits: () => "305", range: "7d", from: NOW - 7 * DAY, line: DATASET_LINES[0] },
    { name: "two digits (window scan)", digits: () => "57", range: "7d", from: NOW - 7 * DAY },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const digits = c.digits();
      const query = new URLSearchParams({ range: c.range, q: digits, status: "open,acknowledged,resolved", ...(c.line ? { line: c.line } : {}) });
      const list = runSteps(sqlite(), listIncidents(sqliteDialect, parseFilters(query), parseIncidentPage(new URLSearchParams("limit=100")), null, NOW));
      const want = reference(digits, c.from, c.line);
      const { assignedToMe, ...tabs } = list.counts;
      expect(assignedToMe).toBe(0);
      expect(Object.fromEntries(Object.entries(tabs).filter(([, n]) => n))).toEqual(want);
      const total = Object.values(want).reduce((a, b) => a + b, 0);
      expect(total, "a search that finds nothing proves little").toBeGreaterThan(0);
      expect(list.total).toBe(total);
      expect(list.items.length).toBe(Math.min(total, 100));
    });
  }
});
