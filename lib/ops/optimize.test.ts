import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { loadFailureDataset } from "@/lib/testing/failure-dataset";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { optimizeDatabase } from "./optimize";

const tempDb = setupTempDatabase({ LOG_LEVEL: "silent" });
afterAll(() => tempDb.cleanup());

describe("PRAGMA optimize", () => {
  it("gives the planner statistics for the failures indexes", () => {
    loadFailureDataset({ now: Date.parse("2026-11-25T15:00:00.000Z"), count: 3000 });
    const { sqlite } = getDb();
    const statsOf = () => {
      const hasTable = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get();
      return hasTable ? (sqlite.prepare("SELECT idx FROM sqlite_stat1 WHERE tbl = 'failures'").pluck().all() as string[]) : [];
    };
    expect(statsOf()).toEqual([]);
    optimizeDatabase(sqlite, true);
    expect(statsOf()).toEqual(expect.arrayContaining(["failures_occurred_at_idx", "failures_reason_idx", "failures_phone_idx"]));
  });
});
