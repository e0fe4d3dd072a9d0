import { expect, test as setup } from "@playwright/test";
import { ADMIN_STATE, E2E_ADMIN } from "../playwright.config";

// Signs the admin in once through the real form; the other specs start from this session.
setup("sign in as the admin", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user-email")).toHaveText(E2E_ADMIN.email);
  await page.context().storageState({ path: ADMIN_STATE });
});
