import { expect, test, type APIRequestContext } from "@playwright/test";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

// A known slice of traffic, sent through the real webhook: 120 failures in the last 20 hours.
const LINES = ["+573001110001", "+573001110002", "+525511110003"];
const TEMPLATES = ["welcome_v2", "recordatorio_pago_v3", "promo_navidad"];
const REASONS = [
  ["FAILURE_BY_RATE_LIMIT", 40],
  ["INVALID_PHONE", 30],
  ["FAILURE_BY_DISABLED_HSM", 25],
  ["FAILURE_BY_OPTOUT_CONTACT", 15],
  ["FAILURE_BY_NEW_META_RULE", 10],
] as const;
const TOTAL = REASONS.reduce((sum, [, n]) => sum + n, 0);

async function post(request: APIRequestContext, events: unknown[]) {
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: events });
  expect(response.status()).toBe(200);
  return (await response.json()) as { accepted: number };
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  const now = Date.now();
  const events: unknown[] = [];
  let i = 0;
  for (const [reason, count] of REASONS) {
    for (let k = 0; k < count; k++, i++) {
      events.push({
        event_type: "deployment.failure",
        event_id: `dash-${i}`,
        timestamp: new Date(now - 5 * 60_000 - i * 9 * 60_000).toISOString(),
        failure_reason: reason,
        line: LINES[i % LINES.length],
        hsm: { name: TEMPLATES[i % TEMPLATES.length] },
        user: { country_code: "+57", cellphone: String(3000000000 + (i % 80)) },
        poll_id: `poll-${i % 4}`,
      });
    }
  }
  const { accepted } = await post(request, events);
  expect(accepted).toBe(TOTAL);
});

test("the overview shows the totals of what was received", async ({ page }) => {
  await page.goto("/?range=24h");
  // The smoke test's failure is in the same database: one more.
  await expect(page.getByTestId("tile-failures")).toContainText(String(TOTAL + 1));
  await expect(page.getByTestId("tile-contacts")).toContainText("81");
  await expect(page.getByTestId("tile-top-reason")).toContainText("WhatsApp rate limit");
  await expect(page.getByTestId("bars-reason")).toContainText("Invalid phone");
  await page.screenshot({ path: "test-results/dashboard-overview.png", fullPage: true });
});

test("clicking a reason bar opens the failures of exactly that reason, with the same count", async ({ page }) => {
  await page.goto("/?range=24h");
  const bars = page.locator('[data-testid="bars-reason"] .recharts-bar-rectangle');
  await expect(bars.first()).toBeVisible();
  // Bars are sorted by count: the second is INVALID_PHONE (30).
  await bars.nth(1).click();
  await expect(page).toHaveURL(/\/failures\?.*reason=INVALID_PHONE/);
  await expect(page.getByTestId("failures-table-total")).toHaveText("30 failures");
  await expect(page.getByTestId("failures-table-row").first()).toContainText("INVALID_PHONE");
  await page.screenshot({ path: "test-results/dashboard-failures.png", fullPage: true });
});

test("changing the range updates the URL, survives a reload and walks back", async ({ page }) => {
  await page.goto("/?range=24h");
  await page.getByRole("group", { name: "Time range" }).getByRole("button", { name: "7d" }).click();
  await expect(page).toHaveURL(/range=7d/);
  await expect(page.getByRole("button", { name: "7d" })).toHaveAttribute("aria-pressed", "true");
  await page.reload();
  await expect(page.getByRole("button", { name: "7d" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("tile-failures")).toContainText(String(TOTAL + 1));
  await page.goBack();
  await expect(page).toHaveURL(/range=24h/);
});

test("a row opens the detail drawer with the raw payload, on its own URL", async ({ page }) => {
  await page.goto("/failures?range=24h&reason=FAILURE_BY_OPTOUT_CONTACT");
  await page.getByTestId("failures-table-row").first().click();
  const drawer = page.getByTestId("failure-drawer");
  await expect(drawer).toBeVisible();
  await expect(drawer.getByTestId("raw-payload")).toContainText('"failure_reason": "FAILURE_BY_OPTOUT_CONTACT"');
  await expect(drawer).toContainText("Respect the opt-out");
  await expect(page).toHaveURL(/failure=\d+/);
  const url = page.url();
  await page.goto(url);
  await expect(page.getByTestId("failure-drawer")).toBeVisible();
  await drawer.getByRole("link", { name: "Open as page" }).click();
  await expect(page).toHaveURL(/\/failures\/\d+/);
  await expect(page.getByTestId("raw-payload")).toContainText("dash-");
});

test("a new webhook shows up on the open overview without a reload", async ({ page, request }) => {
  await page.goto("/?range=24h");
  await expect(page.getByTestId("tile-failures")).toContainText(String(TOTAL + 1));
  await post(request, [
    {
      event_type: "deployment.failure",
      event_id: "dash-live-1",
      timestamp: new Date().toISOString(),
      failure_reason: "FAILURE_BY_SPAM_RATE_LIMIT",
      line: LINES[0],
      hsm: { name: TEMPLATES[0] },
    },
  ]);
  await expect(page.getByTestId("new-since-open")).toContainText("1 new since you opened", { timeout: 15_000 });
  await expect(page.getByTestId("tile-failures")).toContainText(String(TOTAL + 2));
});
