import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, getDb, setEngine } from "@/db/client";
import { PgEngine } from "@/db/pg/engine";
import packageJson from "@/package.json";
import { getSettings } from "@/lib/config";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { GET } from "./route";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

describe.each(ENGINES)("GET /api/health on %s", (name) => {
  beforeAll(() => databases.use(name), CLUSTER_START_TIMEOUT_MS);

  it("answers 200 with the version while the database reads", async () => {
    const response = await GET();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, db: "ok", version: packageJson.version });
  });
});

describe("GET /api/health when the database fails", () => {
  it("answers 503 with the same shape when PostgreSQL refuses the connection", async () => {
    const wrong = new URL(databases.postgresUrl());
    wrong.password = "not-the-password";
    const engine = PgEngine.open(wrong.toString());
    setEngine(engine);
    try {
      const response = await GET();
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ ok: false, db: "error", version: packageJson.version });
    } finally {
      setEngine(undefined);
      await engine.close();
    }
  });

  it("answers 503 with the same shape when the SQLite file cannot be read", async () => {
    const file = getSettings().DATABASE_PATH;
    getDb();
    closeDb();
    // Not a database any more: the next open (and read) fails.
    fs.writeFileSync(file, "this is not a SQLite database".repeat(200));
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    const response = await GET();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, db: "error", version: packageJson.version });
  });
});
