import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    include: ["{lib,db,app,scripts}/**/*.test.ts"],
    environment: "node",
    // Each file opens its own temporary SQLite database; files run in separate forks.
    pool: "forks",
    // Most of a file's time is spent waiting (child servers, PostgreSQL clusters, sign-in
    // slowdowns, leases), not computing: three files at a time on a 2-core machine (vitest's
    // default there is one).
    maxWorkers: 3,
    testTimeout: 20_000,
    globalSetup: ["lib/testing/global-setup.ts"],
  },
});
