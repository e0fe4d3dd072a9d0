import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { findChromium, NO_BROWSER_MESSAGE } from "./scripts/browser";

// The runner loads this file first and its workers inherit the environment, so every process
// agrees on one fresh database for the run.
process.env.FAULTLINE_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "faultline-e2e-"));
const dir = process.env.FAULTLINE_E2E_DIR;
const port = Number(process.env.FAULTLINE_E2E_PORT ?? 3217);
/** A stand-in for Treble's deployment API (lib/testing/fake-treble.ts) that re-deployment plans call. */
export const FAKE_TREBLE_URL = `http://127.0.0.1:${port + 2}`;
export const E2E_TREBLE_API_KEY = "ak_e2e_0123456789abcdef";
export const E2E_WEBHOOK_SECRET = "e2e-webhook-secret-0123456789";
/** Created by the main server at start from ADMIN_EMAIL / ADMIN_PASSWORD. */
export const E2E_ADMIN = { email: "admin@e2e.example", password: "e2e-admin-password-1" };
/** The admin's signed-in browser state, saved by e2e/sign-in.setup.ts for the other specs. */
export const ADMIN_STATE = path.join(dir, "admin-state.json");

const executablePath = findChromium();
if (!executablePath) throw new Error(NO_BROWSER_MESSAGE);

const chromium = {
  ...devices["Desktop Chrome"],
  channel: undefined,
  launchOptions: {
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  },
};

function server(serverPort: number, env: Record<string, string>) {
  return {
    // `npm start` without npm in between: exec makes the PID Playwright stops the server's own.
    command: "exec node scripts/start.mjs",
    url: `http://127.0.0.1:${serverPort}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(serverPort), ...env },
  };
}

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    { name: "sign-in", testMatch: /sign-in\.setup\.ts$/, use: chromium },
    { name: "chromium", testIgnore: /first-run\.spec\.ts$/, dependencies: ["sign-in"], use: { ...chromium, storageState: ADMIN_STATE } },
    // Starts its own server on an empty database (e2e/first-run.spec.ts), to read its start log.
    { name: "first-run", testMatch: /first-run\.spec\.ts$/, use: chromium },
  ],
  webServer: [
    server(port, {
      DATABASE_PATH: path.join(dir, "faultline.db"),
      WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      TREBLE_API_URL: FAKE_TREBLE_URL,
      TREBLE_API_KEY: E2E_TREBLE_API_KEY,
      // Every server action counts as a sign-in attempt, and the suite signs in, out and wrong
      // about twenty times in a minute or two from one address: keep clear of the default (20).
      // The limit itself is tested in lib/server/hardening.test.ts.
      SIGN_IN_RATE_LIMIT: "300",
    }),
    {
      command: "exec node --import tsx lib/testing/fake-treble-server.ts",
      url: `${FAKE_TREBLE_URL}/`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { FAKE_TREBLE_PORT: String(port + 2), FAKE_TREBLE_API_KEY: E2E_TREBLE_API_KEY, FAKE_TREBLE_DELAY_MS: "600" },
    },
  ],
});
