import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_IP_HEADER } from "@/lib/auth/client-ip";
import { createTestUser, TEST_PASSWORD, type TestUser } from "@/lib/testing/auth";
import { setupTempDatabase } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";
import { GET as getAudit } from "./audit/route";
import { POST as authPost } from "./auth/[...all]/route";
import { DELETE as deleteToken } from "./tokens/[id]/route";
import { GET as listTokens, POST as createToken } from "./tokens/route";
import { PATCH as patchUser } from "./users/[id]/route";
import { GET as listUsers, POST as createUser } from "./users/route";
import { GET as getSecret, POST as rotateSecret } from "./webhook-secret/route";

// The admin API behind /settings, called as a script would: with an admin's API token.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: undefined, PUBLIC_URL: undefined });
afterAll(() => tempDb.cleanup());

const BASE = "http://faultline.test:3000";
let admin: TestUser;
const headers = (extra: Record<string, string> = {}) => ({ ...admin.headers, "content-type": "application/json", [CLIENT_IP_HEADER]: "198.51.100.7", host: "faultline.test:3000", ...extra });

async function answer(response: Response) {
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}
const send = (path: string, method: string, body?: unknown) => new Request(`${BASE}${path}`, { method, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body) });
const params = <T>(value: T) => ({ params: Promise.resolve(value) });

beforeAll(async () => {
  admin = await createTestUser("admin", "root@test.example");
});

describe("users", () => {
  it("creates a user who can then sign in, and refuses a taken address or a short password", async () => {
    const created = await answer(await createUser(send("/api/users", "POST", { email: " Carol@Test.Example ", password: "carol-password-1", role: "operator" })));
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json).toMatchObject({ email: "carol@test.example", role: "operator", disabled: false, name: "carol" });
    const signIn = await authPost(
      new Request(`${BASE}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "carol@test.example", password: "carol-password-1" }) }),
    );
    expect(signIn.status).toBe(200);

    expectError(await answer(await createUser(send("/api/users", "POST", { email: "carol@test.example", password: "carol-password-1", role: "viewer" }))), 409, "conflict");
    const short = expectError(await answer(await createUser(send("/api/users", "POST", { email: "dan@test.example", password: "short", role: "viewer" }))), 400, "invalid_input");
    expect(short.details?.[0]?.path).toBe("password");
    const role = expectError(await answer(await createUser(send("/api/users", "POST", { email: "dan@test.example", password: TEST_PASSWORD, role: "owner" }))), 400);
    expect(role.details?.[0]?.path).toBe("role");
    expectError(await answer(await createUser(new Request(`${BASE}/api/users`, { method: "POST", headers: headers(), body: "[1]" }))), 400, "invalid_json");
    const list = (await answer(await listUsers(send("/api/users", "GET")))).json.items as Array<{ email: string }>;
    expect(list.map((u) => u.email)).toEqual(["carol@test.example", "root@test.example"]);
  });

  it("changes roles and disables people, but never the last active admin", async () => {
    const rootId = admin.user.id;
    const demote = expectError(await answer(await patchUser(send(`/api/users/${rootId}`, "PATCH", { role: "viewer" }), params({ id: rootId }))), 409, "conflict");
    expect(demote.message).toContain("last active admin");
    expectError(await answer(await patchUser(send(`/api/users/${rootId}`, "PATCH", { disabled: true }), params({ id: rootId }))), 409, "conflict");

    const second = await createTestUser("viewer", "erin@test.example");
    const promoted = await answer(await patchUser(send(`/api/users/${second.user.id}`, "PATCH", { role: "admin" }), params({ id: second.user.id })));
    expect(promoted.json).toMatchObject({ role: "admin" });
    // With a second active admin, the first may step down, and the second cannot then leave.
    expect((await patchUser(send(`/api/users/${rootId}`, "PATCH", { role: "operator" }), params({ id: rootId }))).status).toBe(200);
    const asSecond = (id: string, body: unknown) =>
      patchUser(new Request(`${BASE}/api/users/${id}`, { method: "PATCH", headers: headers(second.headers), body: JSON.stringify(body) }), params({ id }));
    expectError(await answer(await asSecond(second.user.id, { disabled: true })), 409, "conflict");
    expect((await asSecond(rootId, { role: "admin" })).status).toBe(200);

    expectError(await answer(await patchUser(send(`/api/users/nobody`, "PATCH", { disabled: true }), params({ id: "nobody" }))), 404, "not_found");
    expectError(await answer(await patchUser(send(`/api/users/${rootId}`, "PATCH", {}), params({ id: rootId }))), 400, "invalid_input");
  });
});

describe("API tokens", () => {
  it("creates a token shown once, lists it with its last use, and revokes it", async () => {
    const viewer = await createTestUser("viewer", "fay@test.example");
    const created = await answer(await createToken(send("/api/tokens", "POST", { name: "nightly", userId: viewer.user.id })));
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const token = created.json.token as string;
    const summary = created.json.summary as { id: number; ownerEmail: string; prefix: string };
    expect(token).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);
    expect(summary).toMatchObject({ ownerEmail: "fay@test.example", prefix: token.slice(0, 10) });

    // The token reads as its (viewer) owner.
    expectError(await answer(await listUsers(new Request(`${BASE}/api/users`, { headers: { authorization: `Bearer ${token}` } }))), 403, "forbidden");
    const listed = (await answer(await listTokens(send("/api/tokens", "GET")))).json.items as Array<Record<string, unknown>>;
    const row = listed.find((t) => t.id === summary.id)!;
    expect(row.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(token);

    expect((await deleteToken(send(`/api/tokens/${summary.id}`, "DELETE"), params({ id: String(summary.id) }))).status).toBe(200);
    expectError(await answer(await listUsers(new Request(`${BASE}/api/users`, { headers: { authorization: `Bearer ${token}` } }))), 401, "unauthorized");
    expectError(await answer(await deleteToken(send(`/api/tokens/424242`, "DELETE"), params({ id: "424242" }))), 404, "not_found");
    expectError(await answer(await createToken(send("/api/tokens", "POST", { name: "   " }))), 400, "invalid_input");
    // Without userId the token acts as the caller.
    const own = await answer(await createToken(send("/api/tokens", "POST", { name: "mine" })));
    expect((own.json.summary as { ownerEmail: string }).ownerEmail).toBe("root@test.example");
  });
});

describe("webhook secret", () => {
  it("reveals the full webhook URL and rotates with a grace period", async () => {
    const shown = await answer(await getSecret(send("/api/webhook-secret", "GET")));
    expect(shown.json).toMatchObject({ source: "database", previousValidUntil: null });
    expect(shown.json.url).toBe(`http://faultline.test:3000/api/webhooks/treble?token=${shown.json.secret as string}`);

    const before = Date.now();
    const rotated = await answer(await rotateSecret(send("/api/webhook-secret", "POST", { graceHours: 168 })));
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(shown.json.secret);
    expect(Date.parse(rotated.json.previousValidUntil as string) - before).toBeGreaterThanOrEqual(168 * 3_600_000);
    expectError(await answer(await rotateSecret(send("/api/webhook-secret", "POST", { graceHours: 5 }))), 400, "invalid_input");
  });
});

describe("audit log", () => {
  it("records who did what, when and from where, newest first, in pages", async () => {
    const first = await answer(await getAudit(send("/api/audit?limit=3", "GET")));
    const items = first.json.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ action: "webhook_secret_rotated", actorEmail: "root@test.example", ip: "198.51.100.7" });
    const ids = items.map((i) => i.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const next = await answer(await getAudit(send(`/api/audit?limit=500&before=${first.json.nextBefore as number}`, "GET")));
    const rest = next.json.items as Array<Record<string, unknown>>;
    expect(Math.max(...rest.map((i) => i.id as number))).toBeLessThan(Math.min(...ids));
    expect(next.json.nextBefore).toBeNull();
    const actions = new Set([...items, ...rest].map((i) => i.action));
    for (const action of ["user_created", "user_role_changed", "sign_in", "token_created", "token_revoked", "webhook_secret_rotated"]) expect(actions).toContain(action);
    const created = [...items, ...rest].find((i) => i.action === "user_created" && i.target === "carol@test.example")!;
    expect(created).toMatchObject({ actorEmail: "root@test.example", detail: "role operator", ip: "198.51.100.7" });
    expectError(await answer(await getAudit(send("/api/audit?limit=0", "GET"))), 400, "invalid_input");
  });
});
