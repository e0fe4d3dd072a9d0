import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";

// Accounts and access in the browser: redirect-back, sign-out, what a viewer sees, lockouts.
// Changes nothing the dashboard specs count (no webhooks are sent here).
test.describe.configure({ mode: "serial" });

const VIEWER = { email: "viewer@e2e.example", password: "viewer-password-1" };
const LOCKED = { email: "forgetful@e2e.example", password: "forgetful-password-1" };
const signedOut = { storageState: { cookies: [], origins: [] } };

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test.describe("signed out", () => {
  test.use(signedOut);

  test("a page sends you to /login, and back to that page after signing in", async ({ page }) => {
    await page.goto("/failures?range=7d");
    await expect(page).toHaveURL(/\/login\?next=%2Ffailures%3Frange%3D7d$/);
    await signIn(page, E2E_ADMIN);
    await expect(page).toHaveURL(/\/failures\?range=7d$/);
    await expect(page.getByRole("heading", { name: "Failures" })).toBeVisible();
    await expect(page.getByTestId("user-menu")).toContainText(`${E2E_ADMIN.email} admin`);
  });

  test("a wrong password is refused, and the API answers 401 without a session", async ({ page }) => {
    await page.goto("/login");
    await signIn(page, { email: E2E_ADMIN.email, password: "not-the-password" });
    await expect(page.getByTestId("sign-in-error")).toHaveText("Wrong e-mail or password.");
    const api = await page.request.get("/api/stats");
    expect(api.status()).toBe(401);
    expect((await api.json()).error.code).toBe("unauthorized");
  });

  test("signing out from the user menu ends the session", async ({ page }) => {
    await page.goto("/login?next=%2Freasons");
    await signIn(page, E2E_ADMIN);
    await expect(page).toHaveURL(/\/reasons$/);
    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/login$/);
    expect((await page.request.get("/api/stats")).status()).toBe(401);
  });
});

test("an admin adds people and API tokens under Settings", async ({ page, request }) => {
  await page.goto("/");
  await page.locator("header nav").getByRole("link", { name: "Settings" }).click();
  await expect(page.getByTestId("account-role")).toContainText("Admin");
  // WEBHOOK_SECRET is set for this server: the page says rotation is the variable's business.
  await expect(page.getByTestId("webhook-env")).toBeVisible();
  await page.getByRole("button", { name: "Reveal URL and secret" }).click();
  await expect(page.getByTestId("webhook-url")).toContainText("/api/webhooks/treble?token=e2e-webhook-secret-0123456789");

  const users = page.getByTestId("users-panel");
  for (const [who, role] of [
    [VIEWER, "viewer"],
    [LOCKED, "operator"],
  ] as const) {
    await users.getByLabel("E-mail").fill(who.email);
    await users.getByLabel("Initial password").fill(who.password);
    await users.getByLabel("Role", { exact: true }).selectOption(role);
    await users.getByRole("button", { name: "Add user" }).click();
    await expect(page.getByTestId("users-message")).toHaveText(`Added ${who.email} (${role}).`);
  }
  await expect(page.getByTestId(`user-row-${VIEWER.email}`)).toBeVisible();

  // The last admin cannot demote themselves.
  await page.getByLabel(`Role of ${E2E_ADMIN.email}`).selectOption("operator");
  await expect(page.getByTestId("users-message")).toContainText("last active admin");

  const tokens = page.getByTestId("tokens-panel");
  await tokens.getByLabel("Token name").fill("e2e script");
  await tokens.getByLabel("Token owner").selectOption({ label: `${VIEWER.email} (viewer)` });
  await tokens.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").locator("pre").innerText()).trim();
  expect(token).toMatch(/^flt_/);
  // The token acts as its viewer owner: reads work, admin endpoints are refused.
  expect((await request.get("/api/stats", { headers: { authorization: `Bearer ${token}` } })).status()).toBe(200);
  expect((await request.get("/api/users", { headers: { authorization: `Bearer ${token}` } })).status()).toBe(403);
  await tokens.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("tokens-panel")).toContainText("e2e script");
  await expect(page.getByTestId("tokens-panel")).not.toContainText(token);

  await page.getByRole("link", { name: "Audit log" }).click();
  const log = page.getByTestId("audit-log");
  await expect(log.locator('[data-action="user_created"]').first()).toContainText(LOCKED.email);
  await expect(log.locator('[data-action="token_created"]').first()).toContainText("e2e script");
  await expect(log.locator('[data-action="sign_in"]').first()).toContainText("127.0.0.1");
});

test.describe("as a viewer", () => {
  test.use(signedOut);

  test("sees no admin or action controls, and the API refuses more than reading", async ({ page }) => {
    await page.goto("/settings");
    await signIn(page, VIEWER);
    await expect(page).toHaveURL(/\/settings$/);
    await expect(page.getByTestId("account-role")).toContainText("Viewer");
    for (const panel of ["webhook-panel", "users-panel", "tokens-panel"]) await expect(page.getByTestId(panel)).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Audit log" })).toHaveCount(0);
    await expect(page.locator("main").getByRole("button")).toHaveCount(0);
    await page.goto("/");
    await expect(page.getByRole("button", { name: /acknowledge|resolve|reopen|export|rotate|revoke|add user|create token/i })).toHaveCount(0);

    expect((await page.request.get("/api/stats")).status()).toBe(200);
    for (const [method, path] of [
      ["GET", "/api/users"],
      ["GET", "/api/audit"],
      ["POST", "/api/tokens"],
    ] as const) {
      const response = await page.request.fetch(path, { method, headers: { origin: new URL(page.url()).origin }, data: method === "POST" ? { name: "x" } : undefined });
      expect(response.status(), `${method} ${path}`).toBe(403);
      expect((await response.json()).error.code).toBe("forbidden");
    }
    expect((await page.goto("/settings/audit"))?.status()).toBe(404);
  });
});

test.describe("lockout", () => {
  test.use(signedOut);

  test("repeated wrong passwords lock the account from this address, and the form says until when", async ({ page }) => {
    await page.goto("/login");
    for (let i = 1; i <= 5; i++) {
      // Each attempt must reach the server before the next one is typed.
      const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login");
      await signIn(page, { email: LOCKED.email, password: `wrong-password-${i}` });
      await answered;
      // React resets the form when the action's answer is rendered: type the next one after that.
      await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    }
    await expect(page.getByTestId("sign-in-error")).toContainText("Too many failed sign-ins.");
    await expect(page.getByTestId("sign-in-error")).toContainText(/locked until \d\d:\d\d( [AP]M)? \(in 1[45] minutes\)/);
    // Even the right password waits.
    await signIn(page, LOCKED);
    await expect(page.getByTestId("sign-in-error")).toContainText("locked until");
    await expect(page).toHaveURL(/\/login/);
  });
});
