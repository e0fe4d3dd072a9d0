import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { startServerProcess, type ServerProcess } from "../lib/testing/server-process";

// A server of its own on an empty database (no ADMIN_EMAIL, no WEBHOOK_SECRET), started here so
// the test can read its start log, as the person installing it would.
test.describe.configure({ mode: "serial", timeout: 120_000 });

const FIRST = { email: "founder@e2e.example", password: "founder-password-1" };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-first-run-"));
let server: ServerProcess;

test.beforeAll(async () => {
  server = await startServerProcess({ DATABASE_PATH: path.join(dir, "first-run.db") });
});
test.afterAll(async () => {
  process.kill(server.pid, "SIGTERM");
  await server.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

test("only the setup URL from the start log creates the admin; setup then closes for good", async ({ page, browser }) => {
  const origin = server.origin;
  const setupUrl = /^\s*(http\S+\/setup\?code=[A-Za-z0-9_-]+)$/m.exec(server.output())?.[1];
  const webhookUrl = /^\s*(http\S+\/api\/webhooks\/treble\?token=[A-Za-z0-9_-]+)$/m.exec(server.output())?.[1];
  expect(setupUrl, server.output()).toBeDefined();
  expect(webhookUrl, server.output()).toBeDefined();

  // Whoever reaches the server first, without the code, is told where the link is, and cannot set up.
  await page.goto(`${origin}/`);
  await expect(page).toHaveURL(`${origin}/login`);
  await expect(page.getByTestId("not-set-up")).toContainText("setup URL printed in the server's start log");
  for (const target of ["/setup", "/setup?code=guess"]) {
    const denied = await page.goto(`${origin}${target}`);
    expect(denied?.status()).toBe(403);
    await expect(page.getByTestId("forbidden")).toBeVisible();
  }

  await page.goto(setupUrl!.replace(/^http:\/\/[^/]+/, origin));
  await page.getByLabel("Name").fill("Founder");
  await page.getByLabel("E-mail").fill(FIRST.email);
  await page.getByLabel("Password", { exact: false }).first().fill(FIRST.password);
  await page.getByLabel("Repeat the password").fill(FIRST.password);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page).toHaveURL(`${origin}/`);
  await expect(page.getByTestId("user-menu")).toContainText(`${FIRST.email} admin`);

  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  await other.goto(setupUrl!.replace(/^http:\/\/[^/]+/, origin));
  await expect(other).toHaveURL(`${origin}/login`);
  await stranger.close();

  // The webhook secret was generated, printed once in the start log, and kept in the database:
  // an admin sees the same one, and can rotate it.
  await page.goto(`${origin}/settings`);
  const webhook = page.getByTestId("webhook-panel");
  await webhook.getByRole("button", { name: "Reveal URL and secret" }).click();
  const before = await page.getByTestId("webhook-secret").innerText();
  expect(webhookUrl).toContain(`token=${before}`);
  await page.getByTestId("grace-select").selectOption("1");
  page.once("dialog", (dialog) => void dialog.accept());
  await webhook.getByRole("button", { name: "Rotate secret" }).click();
  await expect(page.getByTestId("previous-secret")).toContainText("The previous secret is still accepted until");
  await expect(page.getByTestId("webhook-secret")).not.toHaveText(before);
  const after = await page.getByTestId("webhook-secret").innerText();
  for (const token of [before, after]) {
    const answer = await page.request.post(`${origin}/api/webhooks/treble?token=${encodeURIComponent(token)}`, { data: { event_type: "ping" } });
    expect(answer.status(), "old and new secret both accepted during the grace period").toBe(200);
  }
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByTestId("audit-log").locator('[data-action="setup"]')).toContainText(FIRST.email);
  await expect(page.getByTestId("audit-log").locator('[data-action="webhook_secret_rotated"]')).toContainText("previous secret accepted until");
});
