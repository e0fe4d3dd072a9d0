import { expect, test, type Page } from "@playwright/test";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

// 60 failures of a template only this spec uses, one a minute: with 25 rows a page, the failures
// table has three pages (25, 25, 10), newest first. Each row's poll id says which failure it is.
const TEMPLATE = "paging_e2e_plantilla";
const COUNT = 60;
const LIST = `/failures?range=24h&template=${TEMPLATE}&limit=25`;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  const now = Date.now();
  const events = Array.from({ length: COUNT }, (_, i) => ({
    event_type: "deployment.failure",
    event_id: `paging-e2e-${now}-${i}`,
    timestamp: new Date(now - 60_000 - i * 60_000).toISOString(),
    failure_reason: i % 2 ? "FAILURE_BY_RATE_LIMIT" : "INVALID_PHONE",
    line: "+573008880001",
    hsm: { name: TEMPLATE },
    user: { country_code: "57", cellphone: String(3108880000 + i) },
  }));
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: events });
  expect(response.status()).toBe(200);
});

const rows = (page: Page) => page.getByTestId("failures-table-row");

/** The table's rows as text, once it shows `count` of them. */
async function shown(page: Page, count: number): Promise<string[]> {
  await expect(rows(page)).toHaveCount(count);
  return rows(page).allTextContents();
}

/** Waits until the table shows exactly these rows (a page of the same size may still be on screen). */
async function expectRows(page: Page, expected: string[]): Promise<void> {
  await expect(rows(page)).toHaveText(expected);
}

/** Opens the list and walks Next to the third page; returns each page's rows. */
async function walkToThirdPage(page: Page): Promise<[string[], string[], string[]]> {
  await page.goto(LIST);
  await expect(page.getByTestId("failures-table-total")).toHaveText(`${COUNT} failures`);
  const first = await shown(page, 25);
  await expect(page.getByTestId("failures-table-first")).toBeDisabled();
  await page.getByTestId("failures-table-next").click();
  await expect(rows(page).first()).not.toHaveText(first[0]!);
  const second = await shown(page, 25);
  await page.getByTestId("failures-table-next").click();
  const third = await shown(page, 10);
  return [first, second, third];
}

test("First and Previous work after a reload", async ({ page }) => {
  const [first, second, third] = await walkToThirdPage(page);
  await page.reload();
  await expectRows(page, third);
  await page.getByTestId("failures-table-previous").click();
  await expectRows(page, second);
  await page.reload();
  await expectRows(page, second);
  await page.getByTestId("failures-table-previous").click();
  await expectRows(page, first);
  await expect(page.getByTestId("failures-table-previous")).toBeDisabled();
  expect(new URL(page.url()).searchParams.has("cursor")).toBe(false);
});

test("a shared link opens the same page, with First and Previous working", async ({ page, context }) => {
  const [first, second, third] = await walkToThirdPage(page);
  const shared = await context.newPage();
  await shared.goto(page.url());
  await expectRows(shared, third);
  await shared.getByTestId("failures-table-previous").click();
  await expectRows(shared, second);
  await shared.goto(page.url());
  await shared.getByTestId("failures-table-first").click();
  await expectRows(shared, first);
});

test("Back returns to the page before, and Previous still works there", async ({ page }) => {
  const [first, second] = await walkToThirdPage(page);
  await page.goBack();
  await expectRows(page, second);
  await page.getByTestId("failures-table-previous").click();
  await expectRows(page, first);
});

test("changing a filter starts at the first page; Back restores the page of the old filters", async ({ page }) => {
  const [, second] = await walkToThirdPage(page);
  await page.getByTestId("failures-table-previous").click();
  await expectRows(page, second);
  await page.getByRole("group", { name: "Time range" }).getByRole("button", { name: "7d" }).click();
  await expect(page).toHaveURL(/range=7d/);
  const url = new URL(page.url());
  expect(url.searchParams.has("cursor")).toBe(false);
  expect(url.searchParams.has("prev")).toBe(false);
  await expect(page.getByTestId("failures-table-previous")).toBeDisabled();
  await expect(rows(page)).toHaveCount(25);
  await page.goBack();
  await expect(page).toHaveURL(/range=24h/);
  await expectRows(page, second);
});
