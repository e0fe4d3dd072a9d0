import fs from "node:fs";
import zlib from "node:zlib";
import { expect, test, type Page } from "@playwright/test";
import { parse } from "csv-parse/sync";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

// Failures of a template only this spec uses, sent through the real webhook, so other specs'
// data in the shared database does not change the counts.
const TEMPLATE = "export_e2e_plantilla";
const COUNT = 137;
/** Failure i is contact i % 50's; contacts 0, 7, …, 49 opt out once (and are rate limited too). */
const CONTACTS = 50;
const optsOut = (i: number) => i < CONTACTS && i % 7 === 0;

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  const now = Date.now();
  const events = Array.from({ length: COUNT }, (_, i) => ({
    event_type: "deployment.failure",
    event_id: `export-e2e-${now}-${i}`,
    timestamp: new Date(now - 60_000 - i * 60_000).toISOString(),
    failure_reason: optsOut(i) ? "FAILURE_BY_OPTOUT_CONTACT" : "FAILURE_BY_RATE_LIMIT",
    line: "+573009990001",
    hsm: { name: TEMPLATE },
    user: { country_code: "57", cellphone: String(3109990000 + (i % CONTACTS)) },
    poll_id: i === 0 ? "=HYPERLINK(\"http://evil.example\")" : `poll-${i % 4}`,
  }));
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: events });
  expect(response.status()).toBe(200);
});

/** Clicks an export button and returns the saved file's parsed records (header first). */
async function download(page: Page, testId: string): Promise<{ records: string[][]; filename: string }> {
  const saved = page.waitForEvent("download");
  await page.getByTestId(`${testId}-start`).click();
  const file = await saved;
  const text = fs.readFileSync((await file.path())!, "utf8");
  return { records: parse(text, { bom: true }) as string[][], filename: file.suggestedFilename() };
}

test("Export CSV on the failures table downloads exactly the table's rows", async ({ page }) => {
  await page.goto(`/failures?range=24h&template=${TEMPLATE}`);
  await expect(page.getByTestId("failures-table-total")).toHaveText(`${COUNT} failures`);
  const { records, filename } = await download(page, "export-failures");
  expect(filename).toMatch(/^faultline-failures_last-24h_.*_template-export_e2e_plantilla\.csv$/);
  expect(records[0]).toContain("occurred_at_local");
  expect(records.length - 1).toBe(COUNT);
  // Formula injection arrives neutralised.
  expect(records.some((r) => r.includes("'=HYPERLINK(\"http://evil.example\")"))).toBe(true);
  await expect(page.getByTestId("export-failures-done")).toContainText(`Downloading ${COUNT} rows`);
});

test("the browser downloads the server's stream itself: the page fetches only the count", async ({ page }) => {
  await page.goto(`/failures?range=24h&template=${TEMPLATE}`);
  await expect(page.getByTestId("failures-table-total")).toHaveText(`${COUNT} failures`);
  const exportRequests: Array<{ url: string; type: string }> = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/failures/export")) exportRequests.push({ url: request.url(), type: request.resourceType() });
  });
  const { records } = await download(page, "export-failures");
  expect(records.length - 1).toBe(COUNT);
  // The page fetched the count only (it shows it); the file itself was never a request of the
  // page (no script held its bytes): the browser's download streamed it to disk.
  expect(exportRequests).toHaveLength(1);
  expect(new URL(exportRequests[0]!.url).searchParams.get("count")).toBe("1");
  expect(exportRequests[0]!.type).toBe("fetch");
  await expect(page.getByTestId("export-failures-done")).toContainText(`Downloading ${COUNT} rows`);
});

test("the server never compresses an export on the fly; gzip=1 sends the same file as .csv.gz", async ({ page }) => {
  const url = `/api/failures/export?range=24h&template=${TEMPLATE}`;
  const plain = await page.request.get(url, { headers: { "accept-encoding": "gzip, deflate, br" } });
  expect(plain.status()).toBe(200);
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  const text = await plain.text();
  expect(parse(text, { bom: true }).length - 1).toBe(COUNT);
  const compressed = await page.request.get(`${url}&gzip=1`, { headers: { "accept-encoding": "gzip, deflate, br" } });
  expect(compressed.status()).toBe(200);
  expect(compressed.headers()["content-encoding"]).toBeUndefined();
  expect(compressed.headers()["content-type"]).toBe("application/gzip");
  expect(compressed.headers()["content-disposition"]).toMatch(/\.csv\.gz"/);
  expect(zlib.gunzipSync(await compressed.body()).toString("utf8")).toBe(text);
});

test("the overview offers retry and suppression lists with their counts", async ({ page }) => {
  await page.goto(`/?range=24h&template=${TEMPLATE}`);
  const optedOut = Array.from({ length: CONTACTS }, (_, i) => i).filter(optsOut).length;
  const retry = CONTACTS - optedOut;
  await expect(page.getByTestId("export-retry-start")).toHaveText(`Retry list (${retry} contacts)`);
  await expect(page.getByTestId("export-suppress-start")).toHaveText(`Suppression list (${optedOut} contacts)`);
  const { records } = await download(page, "export-suppress");
  expect(records[0]!.slice(0, 3)).toEqual(["country_code", "cellphone", "phone_e164"]);
  expect(records.length - 1).toBe(optedOut);
});
