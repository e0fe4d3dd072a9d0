import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, getDb } from "@/db/client";
import packageJson from "@/package.json";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { GET } from "./route";

const tempDb = setupTempDatabase();
afterAll(() => tempDb.cleanup());

describe("GET /api/health", () => {
  it("answers 200 with the version while the database reads", async () => {
    const response = GET();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, db: "ok", version: packageJson.version });
  });

  it("answers 503 with the same shape when the database cannot be read", async () => {
    getDb();
    closeDb();
    // Not a database any more: the next open (and read) fails.
    fs.writeFileSync(tempDb.file, "this is not a SQLite database".repeat(200));
    fs.rmSync(`${tempDb.file}-wal`, { force: true });
    fs.rmSync(`${tempDb.file}-shm`, { force: true });
    const response = GET();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, db: "error", version: packageJson.version });
  });
});
