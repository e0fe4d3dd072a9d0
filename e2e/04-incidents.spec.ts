import { expect, test, type APIRequestContext } from "@playwright/test";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

// One incident of its own: a (reason, line, template) no other spec sends.
const PROBE = { failure_reason: "FAILURE_BY_DISABLED_HSM", line: "+573004440001", hsm: { name: "e2e_incident_probe" } };
let sent = 0;

async function sendFailures(request: APIRequestContext, count: number) {
  const events = Array.from({ length: count }, () => ({
    event_type: "deployment.failure",
    event_id: `incident-probe-${++sent}`,
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    user: { country_code: "57", cellphone: String(3104440000 + sent) },
    ...PROBE,
  }));
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: events });
  expect(response.status()).toBe(200);
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  await sendFailures(request, 3);
});

const LIST = "/incidents?range=24h&template=e2e_incident_probe";

test("acknowledge from the list, after a confirmation that states the exact count", async ({ page }) => {
  await page.goto(LIST);
  await expect(page.getByTestId("default-status-note")).toBeVisible();
  const row = page.getByTestId("incidents-table-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("FAILURE_BY_DISABLED_HSM");
  await expect(row).toContainText("+57 300 444 0001");
  await expect(row.getByTestId("incident-status")).toHaveText("open");

  await page.getByRole("button", { name: /^Failures/ }).click();
  await expect(page).toHaveURL(/sort=count/);
  await expect(row).toHaveCount(1);

  await page.getByTestId("select-all-matching").click();
  await expect(page.getByTestId("selected-count")).toHaveText("1");
  await page.getByTestId("bulk-acknowledge").click();
  await expect(page.getByTestId("bulk-confirm-count")).toHaveText("Acknowledge 1 of 1 selected incident.");
  await page.getByTestId("note-dialog").getByLabel("Note (optional)").fill("on it");
  await page.getByTestId("note-dialog-confirm").click();
  await expect(page.getByTestId("bulk-result")).toHaveText("Acknowledged 1 incident.");
  // No longer in "Needs attention": it is under its own tab.
  await expect(row).toHaveCount(0);
  await page.getByTestId("tab-acknowledged").click();
  await expect(page).toHaveURL(/status=acknowledged/);
  await expect(row.getByTestId("incident-status")).toHaveText("acknowledged");
  await expect(row).toContainText("admin@e2e.example");
  await page.screenshot({ path: "test-results/incidents-list.png", fullPage: true });
});

test("resolve with a note from the detail page; a new failure brings it back as regressed without a reload", async ({ page, request }) => {
  await page.goto(`${LIST}&status=acknowledged`);
  await page.getByTestId("incidents-table-row").click();
  await expect(page).toHaveURL(/\/incidents\/\d+/);
  const detail = page.getByTestId("incident-detail");
  await expect(detail.getByTestId("incident-status")).toHaveText("acknowledged");
  await expect(page.getByTestId("incident-reason")).toContainText("resubmit");
  await expect(page.getByTestId("failures-table-total")).toHaveText("3 failures");

  // Shortcuts are ignored while typing in a field, then open the resolve dialog.
  await page.getByLabel("Search phone number").press("r");
  await expect(page.getByTestId("note-dialog")).toHaveCount(0);
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("r");
  await page.getByTestId("note-dialog").getByLabel("Note (optional)").fill("Template resubmitted to Meta");
  await page.getByTestId("note-dialog-confirm").click();
  await expect(detail.getByTestId("incident-status")).toHaveText("resolved");
  await expect(page.getByTestId("incident-note")).toHaveText("Template resubmitted to Meta");
  await expect(page.getByTestId("activity-item").first()).toContainText("resolved by admin@e2e.example");
  await expect(page.getByTestId("regressed-badge")).toHaveCount(0);

  const url = page.url();
  await sendFailures(request, 1);
  // The page polls every 10 s: no reload, no navigation.
  await expect(page.getByTestId("regressed-badge")).toBeVisible({ timeout: 20_000 });
  await expect(detail.getByTestId("incident-status")).toHaveText("open");
  await expect(page.getByTestId("incident-count")).toHaveText("4");
  await expect(page.getByTestId("activity-item").first()).toContainText("regressed by Faultline");
  expect(page.url()).toBe(url);
  await page.screenshot({ path: "test-results/incident-detail.png", fullPage: true });
});
