import { expect, test } from "@playwright/test";

// Runs against its own server on an empty database (no ADMIN_EMAIL, no WEBHOOK_SECRET).
test.describe.configure({ mode: "serial" });

const FIRST = { email: "founder@e2e.example", password: "founder-password-1" };

test("the first visitor creates the admin on /setup, which then closes for good", async ({ page, browser, baseURL }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel("Name").fill("Founder");
  await page.getByLabel("E-mail").fill(FIRST.email);
  await page.getByLabel("Password", { exact: false }).first().fill(FIRST.password);
  await page.getByLabel("Repeat the password").fill(FIRST.password);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page).toHaveURL(`${baseURL}/`);
  await expect(page.getByTestId("user-menu")).toContainText(`${FIRST.email} admin`);

  const stranger = await browser.newContext({ baseURL });
  const other = await stranger.newPage();
  await other.goto("/setup");
  await expect(other).toHaveURL(/\/login$/);
  await stranger.close();

  // The webhook secret was generated and kept in the database: an admin can rotate it.
  await page.goto("/settings");
  const webhook = page.getByTestId("webhook-panel");
  await webhook.getByRole("button", { name: "Reveal URL and secret" }).click();
  const before = await page.getByTestId("webhook-secret").innerText();
  await page.getByTestId("grace-select").selectOption("1");
  page.once("dialog", (dialog) => void dialog.accept());
  await webhook.getByRole("button", { name: "Rotate secret" }).click();
  await expect(page.getByTestId("previous-secret")).toContainText("The previous secret is still accepted until");
  await expect(page.getByTestId("webhook-secret")).not.toHaveText(before);
  const after = await page.getByTestId("webhook-secret").innerText();
  for (const token of [before, after]) {
    const answer = await page.request.post(`/api/webhooks/treble?token=${encodeURIComponent(token)}`, { data: { event_type: "ping" } });
    expect(answer.status(), "old and new secret both accepted during the grace period").toBe(200);
  }
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByTestId("audit-log").locator('[data-action="setup"]')).toContainText(FIRST.email);
  await expect(page.getByTestId("audit-log").locator('[data-action="webhook_secret_rotated"]')).toContainText("previous secret accepted until");
});
