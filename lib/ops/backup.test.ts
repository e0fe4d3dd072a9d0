import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { prepareEvent } from "@/lib/ingest/handle-webhook";
import { commitEvents } from "@/lib/ingest/group-commit";
import { failureEvent } from "@/lib/testing/fixtures";
import { setupTempDatabase, storedDedupeKeys } from "@/lib/testing/temp-db";
import { backupDatabase, restoreDatabase } from "./backup";

const tempDb = setupTempDatabase({ LOG_LEVEL: "silent" });
afterAll(() => tempDb.cleanup());

async function ingest(count: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: count }, () => {
      const body = failureEvent();
      ids.push(body.event_id as string);
      return commitEvents(getDb(), [prepareEvent(body, JSON.stringify(body), Date.now())]);
    }),
  );
  return ids;
}

describe("backup and restore", () => {
  it("takes a consistent online backup during writes, and restoring it finds every row acknowledged before", async () => {
    const before = await ingest(500);
    // Keep committing while the backup runs (same process: between the backup's steps).
    let writing = true;
    let during = 0;
    const writer = (async () => {
      while (writing) {
        await ingest(20);
        during += 20;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const backupFile = path.join(tempDb.dir, "backup.db");
    const { pages } = await backupDatabase(tempDb.file, backupFile);
    writing = false;
    await writer;
    expect(pages).toBeGreaterThan(0);
    expect(fs.existsSync(`${backupFile}.partial`)).toBe(false);

    // Restore over a different database that has a stale WAL beside it.
    const target = path.join(tempDb.dir, "restored", "faultline.db");
    fs.mkdirSync(path.dirname(target));
    const old = new Database(target);
    old.pragma("journal_mode = WAL");
    old.exec("CREATE TABLE junk (x); INSERT INTO junk VALUES (1)");
    fs.copyFileSync(`${target}-wal`, `${target}-wal.keep`);
    old.close();
    fs.renameSync(`${target}-wal.keep`, `${target}-wal`);
    restoreDatabase(backupFile, target);
    expect(fs.existsSync(`${target}-wal`)).toBe(false);

    const restored = new Database(target, { readonly: true });
    try {
      expect(restored.pragma("integrity_check", { simple: true })).toBe("ok");
      const stored = new Set(storedDedupeKeys(restored));
      expect(before.filter((id) => !stored.has(id))).toEqual([]);
      const failures = restored.prepare("SELECT count(*) FROM failures").pluck().get() as number;
      // A consistent snapshot: every stored event has its failure row and is counted in the rollups.
      expect(failures).toBe(stored.size);
      expect(restored.prepare("SELECT sum(failures) FROM rollup_day").pluck().get()).toBe(stored.size);
      expect(stored.size).toBeGreaterThanOrEqual(before.length);
      expect(stored.size).toBeLessThanOrEqual(before.length + during);
      expect(restored.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'junk'").pluck().get()).toBe(0);
    } finally {
      restored.close();
    }
  });

  it("refuses to restore a file that is not an intact Faultline database, leaving the target alone", () => {
    const bogus = path.join(tempDb.dir, "bogus.db");
    fs.writeFileSync(bogus, "not a database at all");
    const target = path.join(tempDb.dir, "untouched.db");
    fs.writeFileSync(target, "original");
    expect(() => restoreDatabase(bogus, target)).toThrow();
    const empty = path.join(tempDb.dir, "empty.db");
    new Database(empty).close();
    expect(() => restoreDatabase(empty, target)).toThrow(/not a Faultline database/);
    expect(fs.readFileSync(target, "utf8")).toBe("original");
    expect(fs.existsSync(`${target}.restoring`)).toBe(false);
  });
});
