import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as authPost } from "@/app/api/auth/[...all]/route";
import { createTestUser, TEST_PASSWORD, type TestUser } from "@/lib/testing/auth";
import { setupTempDatabase } from "@/lib/testing/temp-db";

// Served over https (PUBLIC_URL): the session cookie is Secure, with the __Secure- prefix.
const tempDb = setupTempDatabase({ PUBLIC_URL: "https://faultline.example.com" });
afterAll(() => tempDb.cleanup());

let user: TestUser;
beforeAll(async () => {
  user = await createTestUser("viewer");
});

describe("session cookie over https", () => {
  it("is Secure, httpOnly and SameSite=Lax", async () => {
    const response = await authPost(
      new Request("https://faultline.example.com/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: user.user.email, password: TEST_PASSWORD }),
      }),
    );
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("__Secure-faultline.session_token="));
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });
});
