import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { parse } from "csv-parse/sync";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

// A line only this spec uses, named through its line page and then looked for where lines show.
const LINE = "+573104567890";
const FORMATTED = "+57 310 456 7890";
const LABEL = "Ventas CO e2e";
const TEMPLATE = "line_label_e2e";
const COUNT = 12;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  const now = Date.now();
  const events = Array.from({ length: COUNT }, (_, i) => ({
    event_type: "deployment.failure",
    event_id: `line-label-e2e-${now}-${i}`,
    timestamp: new Date(now - 120_000 - i * 60_000).toISOString(),
    failure_reason: "FAILURE_BY_RATE_LIMIT",
    line: LINE,
    hsm: { name: TEMPLATE },
    user: { country_code: "57", cellphone: String(3118880000 + i) },
  }));
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: events });
  expect(response.status()).toBe(200);
});

test("a line named on its page shows by name on the overview, in the line filter and in the CSV", async ({ page }) => {
  // The line page: the number formatted for people, then renamed inline.
  await page.goto(`/lines/${encodeURIComponent(LINE)}?range=24h`);
  await expect(page.getByTestId("slice-name")).toHaveText(FORMATTED);
  await page.getByTestId("line-rename").click();
  await page.getByTestId("line-rename-input").fill(`  ${LABEL}  `);
  await page.screenshot({ path: "test-results/line-label-rename.png" });
  await page.getByTestId("line-rename-save").click();
  await expect(page.getByTestId("slice-name")).toHaveText(`${LABEL} ${FORMATTED}`);
  // The failures table of the page names it too.
  await expect(page.getByTestId("failures-table-row").first()).toContainText(LABEL);

  // The overview's line breakdown names it.
  await page.goto(`/?range=24h&template=${TEMPLATE}`);
  await expect(page.getByTestId("bars-line")).toContainText(`${LABEL} (${FORMATTED})`);
  await page.screenshot({ path: "test-results/line-label-overview.png", fullPage: true });

  // The line filter offers it by name and finds it by name or by digits.
  await page.goto(`/failures?range=24h&template=${TEMPLATE}`);
  const filter = page.getByTestId("filter-line");
  await filter.click();
  const menu = page.getByTestId("filter-line-menu");
  const search = menu.getByRole("combobox");
  await search.fill("3104567");
  const option = menu.getByRole("option").filter({ hasText: `${LABEL} (${FORMATTED})` });
  await expect(option).toBeVisible();
  await search.fill("ventas co");
  await option.click();
  await expect.poll(() => new URL(page.url()).searchParams.get("line")).toBe(LINE);
  await page.keyboard.press("Escape");
  await expect(filter).toContainText(LABEL);
  await page.screenshot({ path: "test-results/line-label-failures.png" });
  await expect(page.getByTestId("failures-table-total")).toHaveText(`${COUNT} failures`);

  // The CSV keeps the E.164 line and ends with its name.
  const saved = page.waitForEvent("download");
  await page.getByTestId("export-failures-start").click();
  const file = await saved;
  const [header, ...rows] = parse(fs.readFileSync((await file.path())!, "utf8"), { bom: true }) as string[][];
  expect(header!.at(-1)).toBe("line_label");
  expect(rows).toHaveLength(COUNT);
  for (const row of rows) {
    expect(row[header!.indexOf("line")]).toBe(`'${LINE}`);
    expect(row.at(-1)).toBe(LABEL);
  }
});

test("removing the name brings the bare number back everywhere", async ({ page, request }) => {
  await page.goto(`/lines/${encodeURIComponent(LINE)}?range=24h`);
  await page.getByTestId("line-rename").click();
  await page.getByTestId("line-rename-clear").click();
  await expect(page.getByTestId("slice-name")).toHaveText(FORMATTED);
  const lines = await request.get("/api/lines");
  expect(((await lines.json()) as { items: Array<{ line: string }> }).items.map((i) => i.line)).not.toContain(LINE);
});
