import { expect, test, type APIRequestContext } from "@playwright/test";
import { E2E_ADMIN, E2E_WEBHOOK_SECRET } from "../playwright.config";

// One incident of its own: a (reason, line, template) no other spec sends.
const PROBE = { failure_reason: "FAILURE_BY_SPAM_RATE_LIMIT", line: "+573004440002", hsm: { name: "e2e_lifecycle_probe" } };
let sent = 0;

async function sendFailures(request: APIRequestContext, count: number) {
  const events = Array.from({ length: count }, () => ({
    event_type: "deployment.failure",
    event_id: `lifecycle-probe-${++sent}`,
    timestamp: new Date(Date.now() - 30_000).toISOString(),
    user: { country_code: "57", cellphone: String(3104450000 + sent) },
    ...PROBE,
  }));
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: events });
  expect(response.status()).toBe(200);
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  await sendFailures(request, 2);
});

const LIST = "/incidents?range=24h&template=e2e_lifecycle_probe";

test("snooze from the detail page: it leaves Needs attention, and the counted failures through the webhook bring it back", async ({ page, request }) => {
  await page.goto(LIST);
  await expect(page.getByTestId("tab-attention")).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("tab-attention-count")).toHaveText("1");
  const row = page.getByTestId("incidents-table-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("incident-status")).toHaveText("open");
  await row.click();
  await expect(page).toHaveURL(/\/incidents\/\d+/);
  const detail = page.getByTestId("incident-detail");
  const detailUrl = page.url().split("?")[0]!;

  // s opens the snooze dialog: until 3 more failures.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("s");
  const dialog = page.getByTestId("note-dialog");
  await dialog.getByLabel("More failures").fill("3");
  await dialog.getByLabel("Note (optional)").fill("retrying after Meta's limit resets");
  await page.getByTestId("note-dialog-confirm").click();
  await expect(detail.getByTestId("incident-status")).toHaveText("snoozed");
  await expect(page.getByTestId("incident-snooze")).toHaveText("until 3 more failures");
  await expect(page.getByTestId("activity-item").first()).toContainText(`snoozed by ${E2E_ADMIN.email}`);
  await expect(page.getByTestId("activity-item").first()).toContainText("until 3 more failures — retrying after Meta's limit resets");

  // m assigns it to me; a comment lands in the activity log.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("m");
  await expect(page.getByTestId("incident-assignee")).toContainText(E2E_ADMIN.email);
  await page.getByLabel("Comment").fill("Asked Treble to slow the campaign down");
  await page.getByTestId("comment-submit").click();
  await expect(page.getByTestId("activity-item").first()).toContainText("commented by");
  await expect(page.getByTestId("activity-item").first()).toContainText("Asked Treble to slow the campaign down");

  // Out of "Needs attention", under "Snoozed" and "Assigned to me".
  await page.goto(LIST);
  await expect(page.getByTestId("tab-attention-count")).toHaveText("0");
  await expect(page.getByTestId("tab-snoozed-count")).toHaveText("1");
  await expect(page.getByTestId("tab-mine-count")).toHaveText("1");
  await expect(row).toHaveCount(0);
  await page.getByTestId("tab-snoozed").click();
  await expect(page).toHaveURL(/status=snoozed/);
  await expect(row.getByTestId("incident-status")).toHaveText("snoozed");
  await expect(row).toContainText(E2E_ADMIN.email.split("@")[0]!);
  await page.screenshot({ path: "test-results/incidents-snoozed-tab.png", fullPage: true });
  await page.getByTestId("tab-attention").click();
  await expect(page).not.toHaveURL(/status=/);
  await expect(row).toHaveCount(0);

  // Two of the three: still snoozed. The third: back in Needs attention, without a reload.
  await sendFailures(request, 2);
  const id = detailUrl.split("/").at(-1);
  const midway = await request.get(`/api/incidents/${id}`);
  expect(await midway.json()).toMatchObject({ status: "snoozed", snooze: { failuresLeft: 1 } });
  await sendFailures(request, 1);
  await expect(row).toHaveCount(1, { timeout: 20_000 });
  await expect(row.getByTestId("incident-status")).toHaveText("open");
  await expect(page.getByTestId("tab-attention-count")).toHaveText("1");
  await expect(page.getByTestId("tab-snoozed-count")).toHaveText("0");

  await page.goto(detailUrl);
  await expect(page.getByTestId("incident-count")).toHaveText("5");
  await expect(page.getByTestId("activity-item").first()).toContainText("unsnoozed by Faultline");
  await expect(page.getByTestId("activity-item").first()).toContainText("the failures it waited for arrived");
  await page.screenshot({ path: "test-results/incident-lifecycle.png", fullPage: true });
});

test("i ignores from the detail page; it keeps counting under Ignored and is reopened by hand", async ({ page, request }) => {
  await page.goto(LIST);
  await page.getByTestId("incidents-table-row").click();
  await expect(page).toHaveURL(/\/incidents\/\d+/);
  const detail = page.getByTestId("incident-detail");
  await expect(page.getByTestId("failures-table-total")).toHaveText("5 failures");
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("i");
  await expect(detail.getByTestId("incident-status")).toHaveText("ignored");
  await sendFailures(request, 1);
  await expect(page.getByTestId("incident-count")).toHaveText("6", { timeout: 20_000 });
  await expect(detail.getByTestId("incident-status")).toHaveText("ignored");
  await page.getByTestId("action-reopen").click();
  await expect(detail.getByTestId("incident-status")).toHaveText("open");
});
