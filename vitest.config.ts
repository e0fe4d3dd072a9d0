import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    include: ["{lib,db,app,scripts}/**/*.test.ts"],
    environment: "node",
    // Each file opens its own temporary SQLite database; files run in separate forks.
    pool: "forks",
    testTimeout: 20_000,
  },
});
