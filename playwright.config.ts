import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

// The runner loads this file first and its workers inherit the environment, so every process
// agrees on one fresh database for the run.
process.env.FAULTLINE_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "faultline-e2e-"));
const port = Number(process.env.FAULTLINE_E2E_PORT ?? 3217);
export const E2E_WEBHOOK_SECRET = "e2e-webhook-secret-0123456789";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    // exec: the PID Playwright stops is the server's own, not a shell's.
    command: "exec node dist/server.mjs",
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_PATH: path.join(process.env.FAULTLINE_E2E_DIR, "faultline.db"),
      WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
    },
  },
});
