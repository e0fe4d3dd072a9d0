import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as authPost, GET as authGet } from "@/app/api/auth/[...all]/route";
import { GET as listUsersRoute } from "@/app/api/users/route";
import { PATCH as patchUser } from "@/app/api/users/[id]/route";
import { getEngine } from "@/db/client";
import { createTestUser, signInCookie, TEST_PASSWORD, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { expectError } from "@/lib/testing/webhook-client";
import { SYSTEM_ACTOR } from "./audit";
import { createApiToken, LAST_USED_RESOLUTION_MS, listApiTokens, revokeApiToken } from "./tokens";
import { updateUser } from "./users";

const databases = setupEngineDatabases({ PUBLIC_URL: undefined });
afterAll(() => databases.cleanup());

const ORIGIN = "http://localhost:3000";

async function answer(response: Response) {
  return { status: response.status, headers: response.headers, json: (await response.json()) as unknown };
}
const listUsers = (headers: Record<string, string>) => listUsersRoute(new Request(`${ORIGIN}/api/users`, { headers })).then(answer);
const patch = (id: string, body: unknown, headers: Record<string, string>) =>
  patchUser(new Request(`${ORIGIN}/api/users/${id}`, { method: "PATCH", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }), {
    params: Promise.resolve({ id }),
  }).then(answer);

// Route handlers, better-auth's handler and lib/auth together, on each engine: with DATABASE_URL
// set, users, sessions and tokens live in PostgreSQL.
describe.each(ENGINES)("on %s", (engine) => {
  let admin: TestUser;
  let viewer: TestUser;

  beforeAll(async () => {
    await databases.use(engine);
    admin = await createTestUser("admin");
    viewer = await createTestUser("viewer");
  }, CLUSTER_START_TIMEOUT_MS);

  describe("API tokens", () => {
    it("authenticate as their owner, with the owner's role", async () => {
      expect((await listUsers(admin.headers)).status).toBe(200);
      expectError(await listUsers(viewer.headers), 403, "forbidden");
    });

    it("refuse unknown, malformed and revoked tokens with 401", async () => {
      expectError(await listUsers({ authorization: `Bearer flt_${"A".repeat(43)}` }), 401, "unauthorized");
      expectError(await listUsers({ authorization: "Bearer" }), 401, "unauthorized");
      expectError(await listUsers({ authorization: `Bearer ${admin.token}x` }), 401, "unauthorized");
      const { token, summary } = await createApiToken({ userId: admin.user.id, name: "soon revoked" }, { actor: SYSTEM_ACTOR, ip: null });
      expect((await listUsers({ authorization: `Bearer ${token}` })).status).toBe(200);
      await revokeApiToken(summary.id, { actor: SYSTEM_ACTOR, ip: null });
      expectError(await listUsers({ authorization: `Bearer ${token}` }), 401, "unauthorized");
    });

    it("are stored hashed, never as given", async () => {
      const rows = await getEngine().query<{ token_hash: string; prefix: string }>("SELECT token_hash, prefix FROM api_tokens");
      for (const row of rows) {
        expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(admin.token.startsWith(row.prefix) || viewer.token.startsWith(row.prefix) || row.prefix.startsWith("flt_")).toBe(true);
      }
      expect(JSON.stringify(rows)).not.toContain(admin.token);
    });

    it("record their last use, at most once a minute", async () => {
      const { token, summary } = await createApiToken({ userId: admin.user.id, name: "usage" }, { actor: SYSTEM_ACTOR, ip: null });
      expect((await listApiTokens()).find((t) => t.id === summary.id)?.lastUsedAt).toBeNull();
      await listUsers({ authorization: `Bearer ${token}` });
      const first = (await listApiTokens()).find((t) => t.id === summary.id)!.lastUsedAt!;
      expect(Date.now() - Date.parse(first)).toBeLessThan(5_000);
      await getEngine().exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [Date.parse(first) - LAST_USED_RESOLUTION_MS / 2, summary.id]);
      await listUsers({ authorization: `Bearer ${token}` });
      expect((await listApiTokens()).find((t) => t.id === summary.id)!.lastUsedAt).toBe(new Date(Date.parse(first) - LAST_USED_RESOLUTION_MS / 2).toISOString());
    });

    it("stop working while their owner is disabled", async () => {
      const owner = await createTestUser("operator");
      const before = await answer(await listUsersRoute(new Request(`${ORIGIN}/api/users`, { headers: owner.headers })));
      expectError(before, 403, "forbidden");
      await updateUser(owner.user.id, { disabled: true }, { actor: SYSTEM_ACTOR, ip: null });
      expectError(await listUsers(owner.headers), 401, "unauthorized");
      await updateUser(owner.user.id, { disabled: false }, { actor: SYSTEM_ACTOR, ip: null });
      expectError(await listUsers(owner.headers), 403, "forbidden");
    });
  });

  describe("browser sessions", () => {
    it("sign in through better-auth with an httpOnly, SameSite=Lax cookie, and sign out", async () => {
      const response = await authPost(
        new Request(`${ORIGIN}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: admin.user.email, password: TEST_PASSWORD }) }),
      );
      expect(response.status).toBe(200);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith("faultline.session_token="))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      // Served over plain http (no https PUBLIC_URL): not Secure, or the browser would drop it.
      expect(cookie).not.toMatch(/Secure/i);
      const session = cookie.split(";")[0]!;
      expect((await listUsers({ cookie: session })).status).toBe(200);

      const out = await authPost(new Request(`${ORIGIN}/api/auth/sign-out`, { method: "POST", headers: { cookie: session, origin: ORIGIN, "content-type": "application/json" }, body: "{}" }));
      expect(out.status).toBe(200);
      expectError(await listUsers({ cookie: session }), 401, "unauthorized");
    });

    it("never keeps a password in clear: better-auth's scrypt hash is stored", async () => {
      const row = (await getEngine().one<{ password: string }>("SELECT password FROM accounts WHERE user_id = ?", [admin.user.id]))!;
      expect(row.password).not.toContain(TEST_PASSWORD);
      expect(row.password).toMatch(/^[0-9a-f]+:[0-9a-f]+$/);
    });

    it("exposes only sign-in, sign-out and get-session of better-auth's endpoints", async () => {
      const signUp = await authPost(
        new Request(`${ORIGIN}/api/auth/sign-up/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "new@test.example", password: TEST_PASSWORD, name: "x" }) }),
      );
      expect(signUp.status).toBe(404);
      expect((await authGet(new Request(`${ORIGIN}/api/auth/list-sessions`))).status).toBe(404);
      expect((await authGet(new Request(`${ORIGIN}/api/auth/get-session`))).status).toBe(200);
    });

    it("refuse state changes from other sites (Origin check); same-origin and token requests pass", async () => {
      const target = await createTestUser("viewer");
      const cookie = await signInCookie(authPost, admin.user.email);
      expectError(await patch(target.user.id, { role: "operator" }, { cookie }), 403, "forbidden");
      expectError(await patch(target.user.id, { role: "operator" }, { cookie, origin: "https://evil.example" }), 403, "forbidden");
      expectError(await patch(target.user.id, { role: "operator" }, { cookie, origin: "null" }), 403, "forbidden");
      const ok = await patch(target.user.id, { role: "operator" }, { cookie, origin: ORIGIN, host: "localhost:3000" });
      expect(ok.status, JSON.stringify(ok.json)).toBe(200);
      // A token is never sent by a browser on its own: no Origin needed.
      expect((await patch(target.user.id, { role: "viewer" }, admin.headers)).status).toBe(200);
      // Reads are not state changes.
      expect((await listUsers({ cookie })).status).toBe(200);
    });

    it("see role changes on the next request, and end when the user is disabled", async () => {
      const person = await createTestUser("viewer");
      const cookie = await signInCookie(authPost, person.user.email);
      expectError(await listUsers({ cookie }), 403, "forbidden");
      await updateUser(person.user.id, { role: "admin" }, { actor: SYSTEM_ACTOR, ip: null });
      expect((await listUsers({ cookie })).status).toBe(200);
      await updateUser(person.user.id, { disabled: true }, { actor: SYSTEM_ACTOR, ip: null });
      expectError(await listUsers({ cookie }), 401, "unauthorized");
      const sessions = (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM sessions WHERE user_id = ?", [person.user.id]))!;
      expect(sessions.n).toBe(0);
      // A disabled user with the right password gets told so, and no session.
      const refused = await authPost(
        new Request(`${ORIGIN}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: person.user.email, password: TEST_PASSWORD }) }),
      );
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { code: string }).code).toBe("ACCOUNT_DISABLED");
    });
  });
});
