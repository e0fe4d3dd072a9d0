import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { startServerProcess, type ServerProcess } from "../lib/testing/server-process";

// A server of its own whose refreshes count contacts exactly up to 20 failures
// (EXACT_CONTACTS_LIMIT): under a status, 40 failures leave the contacts tile and the contact lists
// uncounted on every refresh (and a one-digit search's contacts estimated); the overview counts
// them on request.
test.describe.configure({ mode: "serial", timeout: 120_000 });

const ADMIN = { email: "counter@e2e.example", password: "counter-password-1" };
const SECRET = "count-e2e-webhook-secret-0123";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-count-"));
let server: ServerProcess;

// 40 failures of 25 contacts: the first 10 contacts' are "do not contact" (INVALID_PHONE), the
// other 15's can be retried (FAILURE_BY_RATE_LIMIT).
const CONTACTS = 25;
const SUPPRESSED = 10;

test.beforeAll(async () => {
  server = await startServerProcess({
    DATABASE_PATH: path.join(dir, "count.db"),
    WEBHOOK_SECRET: SECRET,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    EXACT_CONTACTS_LIMIT: "20",
  });
  const now = Date.now();
  const events = Array.from({ length: 40 }, (_, i) => {
    const contact = i % CONTACTS;
    return {
      event_type: "deployment.failure",
      event_id: `count-e2e-${i}`,
      timestamp: new Date(now - 60_000 - i * 60_000).toISOString(),
      failure_reason: contact < SUPPRESSED ? "INVALID_PHONE" : "FAILURE_BY_RATE_LIMIT",
      line: "+573007770001",
      hsm: { name: "count_e2e_plantilla" },
      user: { country_code: "57", cellphone: String(3107770000 + contact) },
    };
  });
  const response = await fetch(`${server.origin}/api/webhooks/treble?token=${SECRET}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) });
  expect(response.status).toBe(200);
});

test.afterAll(async () => {
  process.kill(server.pid, "SIGTERM");
  await server.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${server.origin}/login`);
  await page.getByLabel("E-mail").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user-email")).toHaveText(ADMIN.email);
}

test("the overview counts on request the contacts and contact lists a refresh leaves out or estimates, per view", async ({ browser }) => {
  // A context of its own: the suite's saved session belongs to the main server.
  const context = await browser.newContext({ storageState: undefined });
  const page = await context.newPage();
  await signIn(page);

  // Without a status the refresh counts the contacts itself: no Count action.
  await page.goto(`${server.origin}/?range=24h`);
  await expect(page.getByTestId("tile-contacts")).toContainText(String(CONTACTS));
  await expect(page.getByTestId("count-contacts")).toHaveCount(0);
  await expect(page.getByTestId("export-retry-start")).toHaveText(`Retry list (${CONTACTS - SUPPRESSED} contacts)`);

  await page.goto(`${server.origin}/?range=24h&status=open`);
  const tile = page.getByTestId("tile-contacts");
  await expect(page.getByTestId("tile-failures")).toContainText("40");
  await expect(tile).toContainText("—");
  await expect(page.getByTestId("export-retry-start")).toHaveText("Retry list (many failures: not counted yet)");
  await expect(page.getByTestId("export-suppress-start")).toHaveText("Suppression list (many failures: not counted yet)");

  await page.getByTestId("count-contacts").click();
  await expect(tile).toContainText(String(CONTACTS));
  await expect(page.getByTestId("count-contacts-done")).toContainText(/counted .*\(UTC\)/);
  await page.getByTestId("count-retry").click();
  await expect(page.getByTestId("export-retry-start")).toHaveText(`Retry list (${CONTACTS - SUPPRESSED} contacts)`);
  await page.getByTestId("count-suppress").click();
  await expect(page.getByTestId("export-suppress-start")).toHaveText(`Suppression list (${SUPPRESSED} contacts)`);
  // The figures stay through the overview's own refreshes.
  await page.waitForResponse((r) => r.url().includes("/api/stats?") && r.status() === 200, { timeout: 15_000 });
  await expect(tile).toContainText(String(CONTACTS));

  // An estimate (a one-digit phone search over more failures than the limit) is counted exactly on request too.
  await page.goto(`${server.origin}/?range=24h&q=3`);
  await expect(tile).toContainText(`≈ ${CONTACTS}`);
  await page.getByTestId("count-contacts").click();
  await expect(page.getByTestId("count-contacts-done")).toBeVisible();
  await expect(tile).not.toContainText("≈");
  await expect(tile).toContainText(String(CONTACTS));

  // Another view is not counted until asked.
  await page.goto(`${server.origin}/?range=7d&status=open`);
  await expect(tile).toContainText("—");
  await expect(page.getByTestId("count-contacts")).toBeVisible();
  await page.getByTestId("count-contacts").click();
  await expect(tile).toContainText(String(CONTACTS));
  await context.close();
});
