import { expect, test } from "@playwright/test";
import { E2E_TREBLE_API_KEY, E2E_WEBHOOK_SECRET, FAKE_TREBLE_URL } from "../playwright.config";

// An incident of its own: 1,100 contacts of one poll hit the tier limit on a line no other spec uses,
// 5 of them opted out elsewhere. The server sends plans to the fake Treble started by the config.
const LINE = "+573005550017";
const TEMPLATE = "e2e_redeploy_probe";
const POLL = "e2e-poll-17";
const CONTACTS = 1100;
const OPTED_OUT = 5;

interface FakeCall {
  path: string;
  authorization: string;
  users: Array<{ cellphone: string; country_code: string; user_session_keys: Array<{ key: string; value: unknown }> }>;
  status: number | null;
}

test("create a plan from an incident, see the dry run, type the count, watch it send, see the results", async ({ page, request }) => {
  test.setTimeout(90_000);
  const failure = (i: number, reason: string, template: string) => ({
    event_type: "deployment.failure",
    event_id: `redeploy-${reason}-${i}`,
    timestamp: new Date(Date.now() - 3_600_000).toISOString(),
    failure_reason: reason,
    line: LINE,
    hsm: { name: template },
    poll_id: POLL,
    user: { country_code: "57", cellphone: String(3205550000 + i) },
    user_session_keys: [{ key: "first_name", value: `Ana ${i}` }],
  });
  const events = Array.from({ length: CONTACTS }, (_, i) => failure(i, "FAILURE_BY_TIER_CAPACITY", TEMPLATE));
  const optOuts = Array.from({ length: OPTED_OUT }, (_, i) => failure(i, "FAILURE_BY_OPTOUT_CONTACT", "e2e_redeploy_other"));
  for (const batch of [events.slice(0, 600), events.slice(600), optOuts]) {
    expect((await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: batch })).status()).toBe(200);
  }
  const before = ((await (await request.get(`${FAKE_TREBLE_URL}/_calls`)).json()) as FakeCall[]).length;

  await page.goto(`/incidents?range=24h&template=${TEMPLATE}`);
  await page.getByTestId("incidents-table-row").click();
  await expect(page).toHaveURL(/\/incidents\/\d+/);
  await page.getByTestId("redeploy-open").click();
  const dialog = page.getByTestId("redeploy-dialog");
  await expect(dialog).toContainText("nothing is sent until you confirm");
  await dialog.getByTestId("redeploy-dry-run").click();

  // The dry run: exact counts, nothing sent yet.
  await expect(page).toHaveURL(/\/redeploy\/\d+$/);
  const expected = CONTACTS - OPTED_OUT;
  await expect(page.getByTestId("plan-status")).toHaveText("Dry run");
  await expect(page.getByTestId("plan-contacts")).toHaveText(expected.toLocaleString("en-US"));
  await expect(page.getByTestId("plan-excluded-dnc")).toHaveText(String(OPTED_OUT));
  await expect(page.getByTestId("plan-by-poll")).toContainText(POLL);
  await expect(page.getByTestId("plan-by-poll")).toContainText(expected.toLocaleString("en-US"));
  await expect(page.getByTestId("plan-by-reason")).toContainText("FAILURE_BY_TIER_CAPACITY");
  await expect(page.getByTestId("plan-by-line")).toContainText("+57 300 555 0017");
  await expect(page.getByTestId("plan-sample").locator("tbody tr")).toHaveCount(20);
  await expect(page.getByTestId("plan-batch")).toHaveCount(3);
  expect(((await (await request.get(`${FAKE_TREBLE_URL}/_calls`)).json()) as FakeCall[]).length).toBe(before);
  await page.screenshot({ path: "test-results/redeploy-dry-run.png", fullPage: true });

  // Sending needs the exact count typed.
  const send = page.getByTestId("plan-send");
  await page.getByTestId("plan-confirm-input").fill(String(expected - 1));
  await expect(send).toBeDisabled();
  await page.getByTestId("plan-confirm-input").fill(String(expected));
  await expect(send).toBeEnabled();
  await send.click();

  // Progress while the (slow) fake answers one batch at a time, then the results.
  await expect(page.getByTestId("plan-status")).toHaveText("Sending");
  await expect(page.getByTestId("plan-progress")).toBeVisible();
  await expect(page.getByTestId("plan-status")).toHaveText("Done", { timeout: 30_000 });
  await expect(page.getByTestId("plan-sent")).toHaveText(expected.toLocaleString("en-US"));
  const batches = page.getByTestId("plan-batch");
  await expect(batches).toHaveCount(3);
  for (let i = 0; i < 3; i++) {
    await expect(batches.nth(i)).toContainText("sent");
    await expect(batches.nth(i)).toContainText(/dep_\d+ \/ batch_\d+/);
  }
  await page.screenshot({ path: "test-results/redeploy-done.png", fullPage: true });

  // What Treble received: the documented call, ≤ 500 users each, exactly the dry run's contacts.
  const calls = ((await (await request.get(`${FAKE_TREBLE_URL}/_calls`)).json()) as FakeCall[]).slice(before);
  expect(calls.map((c) => c.users.length)).toEqual([500, 500, expected - 1000]);
  for (const c of calls) {
    expect(c.path).toBe(`/deployment/api/poll/${POLL}`);
    expect(c.authorization).toBe(E2E_TREBLE_API_KEY);
    expect(c.status).toBe(200);
  }
  const phones = calls.flatMap((c) => c.users.map((u) => u.cellphone));
  expect(new Set(phones).size).toBe(expected);
  for (let i = 0; i < OPTED_OUT; i++) expect(phones).not.toContain(String(3205550000 + i));
  expect(calls[0]!.users[0]!.user_session_keys).toContainEqual({ key: "deployment_squad", value: "DS_573005550017" });

  // Later failures of re-deployed contacts show up on the plan.
  const again = [failure(100, "FAILURE_BY_TIER_CAPACITY", TEMPLATE), failure(101, "FAILURE_BY_TIER_CAPACITY", TEMPLATE)].map((e) => ({
    ...e,
    event_id: `${e.event_id}-again`,
    timestamp: new Date(Date.now() + 1000).toISOString(),
  }));
  expect((await request.post(`/api/webhooks/treble?token=${E2E_WEBHOOK_SECRET}`, { data: again })).status()).toBe(200);
  await page.reload();
  await expect(page.getByTestId("plan-failed-again")).toHaveText("2");
  await expect(page.getByTestId("plan-follow-up")).toContainText("FAILURE_BY_TIER_CAPACITY");
});
