import { expect, test } from "@playwright/test";
import { E2E_WEBHOOK_SECRET } from "../playwright.config";

test("a failure posted to the webhook shows up on the overview", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.getByTestId("onboarding")).toBeVisible();
  await expect(page.getByTestId("onboarding")).toContainText("/api/webhooks/treble?token=");

  const response = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, {
    data: {
      event_type: "deployment.failure",
      event_id: "smoke-1",
      timestamp: new Date(Date.now() - 60_000).toISOString(),
      failure_reason: "FAILURE_BY_DISABLED_HSM",
      line: "+573001112233",
      hsm: { name: "welcome_v2" },
      user: { country_code: "+57", cellphone: "3051234567" },
    },
  });
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ ok: true, accepted: 1, duplicates: 0, quarantined: 0 });

  await page.reload();
  await expect(page.getByTestId("tile-failures")).toContainText("1");
  await expect(page.getByTestId("tile-top-reason")).toContainText("Template disabled by Meta");
  await expect(page.getByTestId("bars-reason")).toContainText("Template disabled by Meta");
  await page.screenshot({ path: "test-results/smoke-overview.png", fullPage: true });
});
