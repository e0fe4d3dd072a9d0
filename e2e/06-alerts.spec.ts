import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { AlertReceiver } from "../lib/testing/alert-receiver";
import { ADMIN_STATE, E2E_WEBHOOK_SECRET } from "../playwright.config";

// Settings → Alerts end to end: a signed-webhook channel pointing at a real receiver on loopback,
// a rule, a Treble webhook that opens an incident, the delivery in the log, and "Retry now".
const receiver = new AlertReceiver();

test.describe.configure({ mode: "serial" });
test.beforeAll(async () => {
  await receiver.start();
});
test.afterAll(async () => {
  await receiver.stop();
});

test("create a channel and a rule in Settings, send a webhook, see the delivery in the log and retry it", async ({ page, request }) => {
  await page.goto("/settings/alerts");
  const channels = page.getByTestId("channels-panel");
  await channels.getByLabel("Channel type").selectOption("webhook");
  await channels.getByLabel("Channel name").fill("E2E receiver");
  await channels.getByLabel("Channel URL").fill(receiver.url("/e2e-alerts"));
  await channels.getByRole("button", { name: "Add channel" }).click();
  const secret = (await page.getByTestId("channel-secret").locator("pre").textContent())!.trim();
  expect(secret).toMatch(/^whsec_/);
  await expect(channels.locator("tbody tr").filter({ hasText: "E2E receiver" })).toContainText("Webhook (signed)");

  const rules = page.getByTestId("rules-panel");
  await rules.getByLabel("Rule name").fill("E2E experiment numbers");
  await rules.getByLabel("Trigger").selectOption("incident_opened");
  await rules.getByLabel("Notify E2E receiver").check();
  await rules.getByLabel("Reason").fill("FAILURE_BY_EXPERIMENT_NUMBER");
  await rules.getByLabel("Line", { exact: true }).fill("+573009990013");
  await expect(page.getByTestId("rule-preview")).toHaveText("Would have sent 0 notifications in the last 7 days.");
  await rules.getByRole("button", { name: "Create rule" }).click();
  // The filter in words: the reason's label, the line's number formatted.
  await expect(rules.locator("tbody tr").filter({ hasText: "E2E experiment numbers" })).toContainText("A new incident opens — Reason: WhatsApp experiment number · Line: +57 300 999 0013");
  await page.screenshot({ path: "test-results/alerts-settings.png", fullPage: true });

  // The receiver refuses the first delivery (400: no retry), then accepts.
  receiver.script("/e2e-alerts", { status: 400 });
  const sent = await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, {
    data: {
      event_type: "deployment.failure",
      event_id: `alerts-e2e-${Date.now()}`,
      timestamp: new Date().toISOString(),
      failure_reason: "FAILURE_BY_EXPERIMENT_NUMBER",
      line: "+573009990013",
      hsm: { name: "e2e_alerts_probe" },
      user: { country_code: "57", cellphone: "3109990013" },
    },
  });
  expect(sent.status()).toBe(200);
  await receiver.waitFor(() => receiver.on("/e2e-alerts").length === 1, 10_000);

  await page.goto("/settings/alerts/deliveries");
  const row = page.getByTestId("delivery-row").filter({ hasText: "incident.opened" });
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-status", "failed");
  await expect(row).toContainText("HTTP 400");
  await expect(row).toContainText("E2E receiver");
  await expect(row).toContainText("E2E experiment numbers");
  await row.getByRole("button", { name: "Retry now" }).click();
  await expect(row).toHaveAttribute("data-status", "delivered", { timeout: 15_000 });
  await page.screenshot({ path: "test-results/alerts-delivery-log.png", fullPage: true });

  const [refused, delivered] = receiver.on("/e2e-alerts");
  expect(refused!.headers["webhook-id"]).toBe(delivered!.headers["webhook-id"]);
  const body = new Webhook(secret).verify(delivered!.body, delivered!.headers) as { type: string; incident: { reason: string; line: string } };
  expect(body.type).toBe("incident.opened");
  expect(body.incident).toMatchObject({ reason: "FAILURE_BY_EXPERIMENT_NUMBER", line: "+573009990013" });
});

test("Settings → Alerts in Spanish: the page, a channel whose messages are in Spanish, its test message, and the delivery log", async ({ browser, request, baseURL }) => {
  // The browser speaks Colombian Spanish; the account has no language of its own.
  const context = await browser.newContext({ storageState: ADMIN_STATE, locale: "es-CO" });
  const page = await context.newPage();
  await page.goto("/settings/alerts");
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Ajustes");
  const channels = page.getByTestId("channels-panel");
  await expect(channels.getByRole("heading", { level: 2 })).toHaveText("Canales");
  await expect(page.getByTestId("rules-panel").getByRole("heading", { level: 2 })).toHaveText("Reglas");
  await expect(page.getByTestId("channel-locale")).toHaveValue("es");

  await channels.getByLabel("Tipo de canal").selectOption("slack");
  await channels.getByLabel("Nombre del canal").fill("Ventas Slack");
  await channels.getByLabel("URL del canal").fill(receiver.url("/e2e-slack-es"));
  await channels.getByRole("button", { name: "Agregar canal" }).click();
  const row = channels.locator("tbody tr").filter({ hasText: "Ventas Slack" });
  await expect(row).toContainText("Español");
  await expect(row).toContainText("activo");
  await row.getByRole("button", { name: "Enviar prueba" }).click();
  await expect(channels.getByRole("status")).toHaveText('Prueba enviada a "Ventas Slack": el receptor respondió 200.');
  const slack = JSON.parse(receiver.on("/e2e-slack-es")[0]!.body) as { text: string; blocks: Array<{ type: string; elements?: Array<{ text: { text: string } }> }> };
  expect(slack.text).toBe("Notificación de prueba de Faultline para Ventas Slack");
  expect(slack.blocks.find((b) => b.type === "actions")!.elements![0]!.text.text).toBe("Abrir en Faultline");

  // A rule whose line was typed with spaces: saved as the line's key, so it shows under the line's
  // name; its reasons under their Spanish labels.
  const origin = { origin: baseURL! };
  expect((await request.put(`/api/lines/${encodeURIComponent("+573109990014")}/label`, { data: { label: "Ventas E2E" }, headers: origin })).status()).toBe(200);
  const channelId = ((await (await request.get("/api/alerts/channels")).json()) as { items: Array<{ id: number; name: string }> }).items.find((c) => c.name === "Ventas Slack")!.id;
  const created = await request.post("/api/alerts/rules", {
    data: { name: "Teléfonos y límites", trigger: "incident_opened", channelIds: [channelId], filter: { reason: "INVALID_PHONE,FAILURE_BY_RATE_LIMIT", line: "+57 310 999 0014" } },
    headers: origin,
  });
  expect(created.status()).toBe(201);
  expect(((await created.json()) as { filter: { line: string } }).filter.line).toBe("+573109990014");
  await page.reload();
  await expect(page.getByTestId("rules-panel").locator("tbody tr").filter({ hasText: "Teléfonos y límites" })).toContainText(
    "Se abre un incidente nuevo — Motivo: Teléfono inválido, Límite de envío de WhatsApp · Línea: Ventas E2E (+57 310 999 0014)",
  );
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: "test-results/alerts-settings-es.png", fullPage: true });
  // Other specs see the line unnamed, as before.
  expect((await request.put(`/api/lines/${encodeURIComponent("+573109990014")}/label`, { data: { label: null }, headers: origin })).status()).toBe(200);

  await page.goto("/settings/alerts/deliveries");
  await expect(page.getByTestId("delivery-log").getByRole("heading", { level: 2 })).toHaveText("Registro de envíos");
  const delivery = page.getByTestId("delivery-row").filter({ hasText: "Ventas Slack" });
  await expect(delivery).toContainText("Prueba");
  await expect(delivery).toContainText("entregada");
  await context.close();
});
