import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";
import { GET, PATCH } from "./route";

// The user's own language, set through the real route with a real API token and temp database.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: undefined });
afterAll(() => tempDb.cleanup());

let viewer: TestUser;
beforeAll(async () => {
  viewer = await createTestUser("viewer");
});

const patch = (body: string) =>
  PATCH(new Request("http://localhost:3000/api/me", { method: "PATCH", headers: { ...viewer.headers, "content-type": "application/json" }, body }));
const me = async () => (await (await GET(new Request("http://localhost:3000/api/me", { headers: viewer.headers }))).json()) as Record<string, unknown>;

describe("/api/me locale", () => {
  it("starts unset, stores a choice with its cookie, and forgets it with null", async () => {
    expect(await me()).toMatchObject({ email: viewer.user.email, role: "viewer", locale: null });

    const set = await patch(JSON.stringify({ locale: "pt-BR" }));
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ locale: "pt-BR" });
    expect(set.headers.get("set-cookie")).toMatch(/^faultline-locale=pt-BR;/);
    expect((await me()).locale).toBe("pt-BR");

    const cleared = await patch(JSON.stringify({ locale: null }));
    expect(await cleared.json()).toEqual({ locale: null });
    expect(cleared.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect((await me()).locale).toBeNull();
  });

  it("refuses an unknown language or a missing field and keeps the stored one", async () => {
    await patch(JSON.stringify({ locale: "es" }));
    const bad = await patch(JSON.stringify({ locale: "fr" }));
    const error = expectError({ status: bad.status, headers: bad.headers, json: await bad.json() }, 400, "invalid_input");
    expect(error.details?.[0]?.path).toBe("locale");
    const missing = await patch("{}");
    expectError({ status: missing.status, headers: missing.headers, json: await missing.json() }, 400);
    expect((await me()).locale).toBe("es");
  });
});
