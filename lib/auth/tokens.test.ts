import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEngine } from "@/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { SYSTEM_ACTOR } from "./audit";
import { authenticateApiToken, createApiToken, LAST_USED_RESOLUTION_MS, listApiTokens, revokeApiToken } from "./tokens";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());

const AT = Date.parse("2026-11-25T10:00:00Z");
const admin = { id: "admin-1", email: "admin@test.example" };
const by = { actor: admin, ip: "10.0.0.1", now: AT };

/** A user row with a known id, written directly (no password needed here). */
async function addUser(id: string, email: string, role: string): Promise<void> {
  await getEngine().exec("INSERT INTO users (id, name, email, email_verified, created_at, updated_at, role, disabled) VALUES (?, ?, ?, 0, ?, ?, ?, 0)", [id, email, email, AT, AT, role]);
}

const auditRows = () => getEngine().query("SELECT actor_email AS actor, action, target, detail FROM audit_log ORDER BY id");

describe.each(ENGINES)("API tokens on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    for (const table of ["api_tokens", "audit_log", "users"]) await getEngine().exec(`DELETE FROM ${table}`);
    await addUser(admin.id, admin.email, "admin");
    await addUser("op-1", "op@test.example", "operator");
  });

  it("creates a token shown once and stored as its hash, acting as its owner; audited; listed newest first", async () => {
    const first = await createApiToken({ userId: "op-1", name: " cron " }, by);
    expect(first.token).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);
    expect(first.summary).toEqual({
      id: expect.any(Number),
      name: "cron",
      prefix: first.token.slice(0, 10),
      ownerId: "op-1",
      ownerEmail: "op@test.example",
      createdAt: "2026-11-25T10:00:00.000Z",
      lastUsedAt: null,
      revokedAt: null,
    });
    const stored = await getEngine().query<{ token_hash: string }>("SELECT token_hash FROM api_tokens");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(first.token.slice(4));

    const second = await createApiToken({ userId: admin.id, name: "mine" }, { ...by, actor: SYSTEM_ACTOR });
    expect((await listApiTokens()).map((t) => [t.name, t.ownerEmail])).toEqual([
      ["mine", admin.email],
      ["cron", "op@test.example"],
    ]);
    expect(await authenticateApiToken(first.token, AT)).toEqual({ id: "op-1", email: "op@test.example", name: "op@test.example", role: "operator" });
    expect(await auditRows()).toEqual([
      { actor: admin.email, action: "token_created", target: `token #${first.summary.id} "cron"`, detail: "acts as op@test.example" },
      { actor: null, action: "token_created", target: `token #${second.summary.id} "mine"`, detail: `acts as ${admin.email}` },
    ]);
  });

  it("refuses an unknown owner (404) and a blank or over-long name (400), storing nothing", async () => {
    await expect(createApiToken({ userId: "nobody", name: "x" }, by)).rejects.toBeInstanceOf(NotFoundError);
    for (const bad of [{ userId: "op-1", name: "  " }, { userId: "op-1", name: "n".repeat(101) }, { name: "x" }]) {
      await expect(createApiToken(bad, by), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await listApiTokens()).toEqual([]);
    expect(await auditRows()).toEqual([]);
  });

  it("authenticates only the exact token, records its last use at most once a minute, and refuses it while its owner is disabled", async () => {
    const { token, summary } = await createApiToken({ userId: "op-1", name: "usage" }, by);
    for (const wrong of [`${token}x`, token.slice(0, -1), token.replace("flt_", "xyz_"), ""]) expect(await authenticateApiToken(wrong, AT)).toBeNull();
    const lastUsed = async () => (await listApiTokens()).find((t) => t.id === summary.id)!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await authenticateApiToken(token, AT + 1000);
    expect(await lastUsed()).toBe(new Date(AT + 1000).toISOString());
    await authenticateApiToken(token, AT + 1000 + LAST_USED_RESOLUTION_MS);
    expect(await lastUsed()).toBe(new Date(AT + 1000).toISOString());
    await authenticateApiToken(token, AT + 1001 + LAST_USED_RESOLUTION_MS);
    expect(await lastUsed()).toBe(new Date(AT + 1001 + LAST_USED_RESOLUTION_MS).toISOString());

    await getEngine().exec("UPDATE users SET disabled = 1 WHERE id = 'op-1'");
    expect(await authenticateApiToken(token, AT)).toBeNull();
    await getEngine().exec("UPDATE users SET disabled = 0 WHERE id = 'op-1'");
    expect(await authenticateApiToken(token, AT)).toMatchObject({ id: "op-1" });
  });

  it("revokes a token for good, once: again changes nothing, an unknown id is 404", async () => {
    const { token, summary } = await createApiToken({ userId: "op-1", name: "old" }, by);
    await revokeApiToken(summary.id, { ...by, now: AT + 5 });
    expect(await authenticateApiToken(token, AT + 6)).toBeNull();
    await revokeApiToken(summary.id, { ...by, now: AT + 7 });
    expect((await listApiTokens())[0]!.revokedAt).toBe(new Date(AT + 5).toISOString());
    await expect(revokeApiToken(summary.id + 1000, by)).rejects.toBeInstanceOf(NotFoundError);
    expect((await auditRows()).map((r) => [r.action, r.target])).toEqual([
      ["token_created", `token #${summary.id} "old"`],
      ["token_revoked", `token #${summary.id} "old"`],
    ]);
  });
});
