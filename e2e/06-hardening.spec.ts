import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";

// The open redirect of issue 14, tried in a real browser: it drops tabs and newlines from URLs and
// reads `\` as `/`, so each of these `next` values would have led to evil.example.
const ATTACKS = ["/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example", "//evil.example", "https://evil.example/"];

test.describe("after signing in", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in form never leaves the site, whatever ?next= holds", async ({ page, baseURL }) => {
    await page.goto(`/login?next=${ATTACKS[0]}`);
    await page.getByLabel("E-mail").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${baseURL}/`);
    await expect(page.getByTestId("user-menu")).toContainText(E2E_ADMIN.email);

    // Signed in, /login sends you straight on to ?next=: still only within the site.
    for (const next of ATTACKS) {
      await page.goto(`/login?next=${next}`);
      await expect(page, next).toHaveURL(`${baseURL}/`);
    }
    await page.goto(`/login?next=${encodeURIComponent("/failures?range=7d")}`);
    await expect(page).toHaveURL(`${baseURL}/failures?range=7d`);
  });
});
