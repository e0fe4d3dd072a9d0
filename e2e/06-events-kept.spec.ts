import { expect, test } from "@playwright/test";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

// Every Treble event kept, in the browser: an event whose reason sits where Faultline does not
// look is quarantined (banner, admin list with its raw payload), an admin maps the field and
// re-processes it into a failure; a paused template and a closed session show where they belong.
// The failure is dated 3 days back, so the 24 h counts of the dashboard specs do not move.
test.describe.configure({ mode: "serial" });

const TEMPLATE = "e2e_paused_tpl";
const LINE = "+573004445566";
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

test.beforeAll(async ({ request }) => {
  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, {
    data: [
      {
        event_type: "deployment.failure",
        event_id: "kept-unguessed-1",
        timestamp: hoursAgo(72),
        error: { code: "FAILURE_BY_DISABLED_HSM" },
        line: LINE,
        hsm: { name: TEMPLATE },
        user: { country_code: "57", cellphone: "3057778899" },
      },
      { event_type: "hsm.status", event_id: "kept-status-1", timestamp: hoursAgo(1), status: "PAUSED", name: TEMPLATE, affected_conversation_ids: [101, 102] },
      {
        event_type: "session.close",
        event_id: "kept-session-1",
        timestamp: hoursAgo(1),
        session: { external_id: "conv-e2e-1", closed_at: hoursAgo(1) },
        user: { country_code: "57", cellphone: "3051112233" },
        company: { id: 1, cellphone: LINE },
        hsm: { name: TEMPLATE },
        messages: [{}, {}],
      },
    ],
  });
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ ok: true, accepted: 2, duplicates: 0, quarantined: 1 });
});

test("the overview shows the quarantine and the paused template prominently", async ({ page }) => {
  await page.goto("/?range=24h");
  await expect(page.getByTestId("quarantine-banner")).toContainText("1 received event is quarantined");
  await expect(page.getByTestId("unavailable-templates")).toContainText(`${TEMPLATE} — PAUSED`);
  await page.screenshot({ path: "test-results/overview-banners.png" });
});

test("an admin finds the quarantined event with its raw payload and problem", async ({ page }) => {
  await page.goto("/?range=24h");
  await page.getByTestId("quarantine-banner").getByRole("link", { name: "Review them" }).click();
  await expect(page).toHaveURL(/\/settings\/quarantine$/);
  const row = page.getByTestId("quarantined-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("failure_reason");
  await expect(row.getByTestId("quarantined-payload")).toContainText('"code": "FAILURE_BY_DISABLED_HSM"');
  await page.screenshot({ path: "test-results/quarantine.png", fullPage: true });
});

test("mapping the field and re-processing turns it into a failure, once", async ({ page }) => {
  await page.goto("/settings");
  await page.getByTestId("mapping-reason").fill("error.code");
  await page.getByTestId("mapping-save").click();
  await expect(page.getByTestId("mapping-message")).toContainText("Field mapping saved");

  await page.goto("/settings/quarantine");
  await page.getByTestId("reprocess").click();
  await expect(page.getByTestId("reprocess-message")).toContainText("Re-processed 1: 1 became failures");
  await expect(page.getByTestId("quarantine-empty")).toBeVisible();
  await expect(page.getByTestId("reprocess")).toBeDisabled();

  await page.goto(`/failures?range=7d&template=${TEMPLATE}`);
  await expect(page.getByTestId("failures-table")).toContainText("Template disabled by Meta");
  await page.goto("/?range=24h");
  await expect(page.getByTestId("overview")).toBeVisible();
  await expect(page.getByTestId("quarantine-banner")).toHaveCount(0);
});

test("the template page says the template is paused and lists the sessions closed beside its failures", async ({ page }) => {
  await page.goto(`/templates/${TEMPLATE}?range=24h`);
  await expect(page.getByTestId("template-unavailable")).toContainText("This template is PAUSED now");
  await expect(page.getByTestId("template-status-history")).toContainText("2 affected conversations");
  const sessions = page.getByTestId("closed-sessions");
  await expect(sessions).toContainText("1 in the window");
  await expect(sessions.getByTestId("closed-session-row")).toContainText("conv-e2e-1");
  await page.screenshot({ path: "test-results/template-paused.png", fullPage: true });
  await page.goto(`/lines/${encodeURIComponent(LINE)}?range=24h`);
  await expect(page.getByTestId("closed-sessions").getByTestId("closed-session-row")).toContainText("+57 305 111 2233");
});
