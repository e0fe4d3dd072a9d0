import fs from "node:fs";
import { afterAll, expect, it } from "vitest";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { closeEngine, getDb, getEngine } from "./client";
import { PgEngine } from "./pg/engine";

// Settings are read once per process (this file's fork): DATABASE_URL is set before anything reads them.
const temp = setupTempDatabase({ DATABASE_URL: "postgres://faultline:secret@127.0.0.1:1/faultline" });
afterAll(() => temp.cleanup());

it("on DATABASE_URL, refuses to open the SQLite file and gives the PostgreSQL engine", async () => {
  expect(() => getDb()).toThrow(/DATABASE_URL selects PostgreSQL: the SQLite database at DATABASE_PATH is not opened/);
  expect(fs.existsSync(temp.file)).toBe(false);
  // The pool connects on first use: nothing listens on port 1, and nothing is asked here.
  const engine = getEngine();
  expect(engine).toBeInstanceOf(PgEngine);
  expect(getEngine()).toBe(engine);
  await closeEngine();
  expect(fs.existsSync(temp.file)).toBe(false);
});
