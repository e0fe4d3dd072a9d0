import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as authPost } from "@/app/api/auth/[...all]/route";
import { GET as listUsersRoute } from "@/app/api/users/route";
import { getEngine, setEngine } from "@/db/client";
import { openPgPool } from "@/db/pg/connection";
import { PgEngine } from "@/db/pg/engine";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import { signInCookie, TEST_PASSWORD } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { SYSTEM_ACTOR } from "./audit";
import { issueSetupCode, isValidSetupCode, setupRequestAllowed } from "./setup-code";
import { recordSignInFailure } from "./lockout";
import { bootstrapAdmin, countUsers, createFirstAdmin, createUser, findUserByEmail, listUsers, setUpFirstAdmin, updateUser, type UserSummary } from "./users";
import { holdLock } from "@/lib/testing/hold-lock";

const databases = setupEngineDatabases({ PUBLIC_URL: undefined });
afterAll(() => databases.cleanup());

const root = { actor: { id: "root", email: "root@test.example" }, ip: "10.0.0.9" };

const auditRows = () => getEngine().query<{ action: string; target: string | null; detail: string | null }>("SELECT action, target, detail FROM audit_log ORDER BY id");
const count = async (sql: string, params: string[] = []) => (await getEngine().one<{ n: number }>(sql, params))!.n;

const newUser = (email: string, role = "viewer") => createUser({ email, password: TEST_PASSWORD, role }, { actor: SYSTEM_ACTOR, ip: null });

describe.each(ENGINES)("users on %s", (engine) => {
  beforeAll(() => databases.use(engine), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    // Sessions and accounts go with their users (ON DELETE CASCADE on both engines).
    for (const table of ["api_tokens", "users", "audit_log", "sign_in_throttle"]) await getEngine().exec(`DELETE FROM ${table}`);
    await getEngine().exec("DELETE FROM settings WHERE key = 'setup_code_sha256'");
  });

  it("creates users with a scrypt-hashed password, refuses a taken address (409) and bad input (400), lists them by address, audited", async () => {
    const carol = await createUser({ email: " Carol@Test.Example ", password: "carol-password-1", role: "operator" }, { ...root, via: "from the command line" });
    expect(carol).toEqual({ id: expect.any(String), email: "carol@test.example", name: "carol", role: "operator", disabled: false, createdAt: expect.any(String) });
    expect(Date.now() - Date.parse(carol.createdAt)).toBeLessThan(60_000);
    const stored = await getEngine().one<{ password: string; provider_id: string }>("SELECT password, provider_id FROM accounts WHERE user_id = ?", [carol.id]);
    expect(stored).toMatchObject({ provider_id: "credential", password: expect.stringMatching(/^[0-9a-f]+:[0-9a-f]+$/) });

    await expect(createUser({ email: "CAROL@test.example", password: TEST_PASSWORD, role: "viewer" }, root)).rejects.toBeInstanceOf(ConflictError);
    for (const bad of [{ email: "dan@test.example", password: "short", role: "viewer" }, { email: "not-an-address", password: TEST_PASSWORD, role: "viewer" }, { email: "dan@test.example", password: TEST_PASSWORD, role: "owner" }]) {
      await expect(createUser(bad, root), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await newUser("a.b@test.example");
    await newUser("ab@test.example", "admin");
    expect((await listUsers()).map((u) => u.email)).toEqual(["a.b@test.example", "ab@test.example", "carol@test.example"]);
    expect(await countUsers()).toBe(3);
    expect(await findUserByEmail(" CAROL@test.example")).toEqual(carol);
    await expect(findUserByEmail("nobody@test.example")).rejects.toBeInstanceOf(NotFoundError);
    expect((await auditRows())[0]).toEqual({ action: "user_created", target: "carol@test.example", detail: "role operator, from the command line" });
    expect(await count("SELECT count(*) AS n FROM audit_log")).toBe(3);
  });

  it("changes roles, disables (ending sessions) and enables, each audited; 404 for an unknown user, 400 for nothing to change", async () => {
    await newUser("boss@test.example", "admin");
    const dana = await newUser("dana@test.example");
    const cookie = await signInCookie(authPost, dana.email);
    expect(await count("SELECT count(*) AS n FROM sessions WHERE user_id = ?", [dana.id])).toBe(1);

    expect(await updateUser(dana.id, { role: "operator" }, root)).toMatchObject({ role: "operator", disabled: false });
    expect(await updateUser(dana.id, { disabled: true }, root)).toMatchObject({ role: "operator", disabled: true });
    expect(await count("SELECT count(*) AS n FROM sessions WHERE user_id = ?", [dana.id])).toBe(0);
    expect((await listUsersRoute(new Request("http://localhost:3000/api/users", { headers: { cookie } }))).status).toBe(401);
    expect(await updateUser(dana.id, { disabled: false, role: "operator" }, root)).toMatchObject({ role: "operator", disabled: false });
    expect((await auditRows()).slice(3)).toEqual([
      { action: "user_role_changed", target: "dana@test.example", detail: "viewer → operator" },
      { action: "user_disabled", target: "dana@test.example", detail: null },
      { action: "user_enabled", target: "dana@test.example", detail: null },
    ]);
    await expect(updateUser("nobody", { disabled: true }, root)).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateUser(dana.id, {}, root)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("never demotes nor disables the last active admin (409, nothing changed); does once another admin is active", async () => {
    const first = await newUser("first@test.example", "admin");
    const second = await newUser("second@test.example", "operator");
    for (const change of [{ role: "viewer" }, { disabled: true }, { role: "operator", disabled: false }]) {
      await expect(updateUser(first.id, change, root), JSON.stringify(change)).rejects.toThrow(/last active admin/);
    }
    // A disabled admin does not count.
    await updateUser(second.id, { role: "admin", disabled: true }, root);
    await expect(updateUser(first.id, { role: "viewer" }, root)).rejects.toBeInstanceOf(ConflictError);
    expect((await findUserByEmail(first.email)).role).toBe("admin");
    const audited = await count("SELECT count(*) AS n FROM audit_log");

    await updateUser(second.id, { disabled: false }, root);
    expect(await updateUser(first.id, { role: "viewer" }, root)).toMatchObject({ role: "viewer" });
    await expect(updateUser(second.id, { disabled: true }, root)).rejects.toBeInstanceOf(ConflictError);
    expect(await count("SELECT count(*) AS n FROM audit_log")).toBe(audited + 2);
  });

  it("opens /setup only with the start's code while nobody exists, creates the first admin once, and closes for good", async () => {
    expect(await setupRequestAllowed("")).toBe(false);
    const code = await issueSetupCode();
    expect(await setupRequestAllowed(`code=${code}`)).toBe(true);
    expect(await isValidSetupCode(`${code}x`)).toBe(false);
    expect(await isValidSetupCode(null)).toBe(false);
    // Only its hash is kept.
    expect(await count("SELECT count(*) AS n FROM settings WHERE value LIKE ?", [`%${code}%`])).toBe(0);

    await expect(setUpFirstAdmin({ email: "eve@test.example", password: TEST_PASSWORD }, "wrong", { ip: "10.0.0.5" })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await countUsers()).toBe(0);
    const admin = await setUpFirstAdmin({ email: "Owner@test.example", password: TEST_PASSWORD }, code, { ip: "10.0.0.5" });
    expect(admin).toMatchObject({ email: "owner@test.example", role: "admin", disabled: false });
    expect(await auditRows()).toEqual([{ action: "setup", target: "owner@test.example", detail: "from /setup" }]);
    expect(await count("SELECT count(*) AS n FROM settings WHERE key = 'setup_code_sha256'")).toBe(0);

    await expect(setUpFirstAdmin({ email: "late@test.example", password: TEST_PASSWORD }, code, { ip: null })).rejects.toBeInstanceOf(ConflictError);
    await expect(createFirstAdmin({ email: "late@test.example", password: TEST_PASSWORD }, { ip: null, via: "test" })).rejects.toBeInstanceOf(ConflictError);
    expect(await bootstrapAdmin("late@test.example", TEST_PASSWORD)).toBe("exists");
    // Once someone exists, /setup answers (and sends everyone to /login).
    expect(await setupRequestAllowed("")).toBe(true);
    expect(await countUsers()).toBe(1);
  });

  it("creates the first admin from ADMIN_EMAIL while nobody exists", async () => {
    expect(await bootstrapAdmin(undefined, TEST_PASSWORD)).toBe("unset");
    expect(await bootstrapAdmin("boot@test.example", TEST_PASSWORD)).toBe("created");
    expect(await listUsers()).toEqual([expect.objectContaining({ email: "boot@test.example", role: "admin" })]);
    expect(await auditRows()).toEqual([{ action: "setup", target: "boot@test.example", detail: "from ADMIN_EMAIL at start" }]);
  });

  it("keeps better-auth's secret in the database, generated once: signed-in sessions survive a new auth instance", async () => {
    await newUser("kept@test.example", "admin");
    const cookie = await signInCookie(authPost, "kept@test.example");
    const secret = await getEngine().one<{ value: string }>("SELECT value FROM settings WHERE key = 'auth_secret'");
    expect(secret?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const current = getEngine();
    // A new engine is a new better-auth instance (as after a restart), which reads the same secret.
    const again = engine === "postgres" ? new PgEngine(openPgPool((current as PgEngine).pool.options.connectionString!)) : undefined;
    setEngine(again);
    try {
      expect(getEngine()).not.toBe(current);
      expect((await listUsersRoute(new Request("http://localhost:3000/api/users", { headers: { cookie } }))).status).toBe(200);
    } finally {
      setEngine(current);
      await again?.close();
    }
    expect(await count("SELECT count(*) AS n FROM settings WHERE key = 'auth_secret'")).toBe(1);
  });
});

describe("on PostgreSQL, at once from two connections", () => {
  beforeAll(() => databases.use("postgres"), CLUSTER_START_TIMEOUT_MS);
  beforeEach(async () => {
    for (const table of ["api_tokens", "users", "audit_log", "sign_in_throttle"]) await getEngine().exec(`DELETE FROM ${table}`);
  });

  const waiting = async (statement: string) =>
    (await getEngine().one<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ?",
      [`${statement}%`],
    ))!.n;

  /**
   * Starts the contenders while a third connection holds `lock` (run in its transaction), waits
   * until PostgreSQL shows every contender's `statement` waiting on it — the transactions
   * overlap, proven — then lets them go.
   */
  async function raceHeldBy<T>(lock: string, params: string[], statement: string, contenders: Array<() => Promise<T>>): Promise<Array<PromiseSettledResult<T>>> {
    const held = await holdLock(getEngine(), (tx) => tx.query(lock, params));
    const outcomes = Promise.allSettled(contenders.map((act) => act()));
    await expect.poll(() => waiting(statement), { timeout: 10_000, interval: 20 }).toBe(contenders.length);
    await held.release();
    return outcomes;
  }

  const activeAdmins = () => count("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0");

  it("two admins demoting the last two admins at once: one wins, the other gets 409, one admin is left", async () => {
    const a = await newUser("a@test.example", "admin");
    const b = await newUser("b@test.example", "admin");
    const retriesBefore = (getEngine() as PgEngine).retries;
    const results = await raceHeldBy("SELECT id FROM users WHERE id IN (?, ?) FOR UPDATE", [a.id, b.id], "UPDATE users SET", [
      () => updateUser(a.id, { role: "viewer" }, { actor: { id: b.id, email: b.email }, ip: null }),
      () => updateUser(b.id, { disabled: true }, { actor: { id: a.id, email: a.email }, ip: null }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === "rejected")!;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    expect((lost.reason as Error).message).toMatch(/last active admin/);
    expect(await activeAdmins()).toBe(1);
    // The loser was aborted by PostgreSQL (serialization failure) and found itself the last admin when run again.
    expect((getEngine() as PgEngine).retries).toBeGreaterThan(retriesBefore);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action IN ('user_role_changed', 'user_disabled')")).toBe(1);
    const winner = (results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<UserSummary>).value;
    expect(winner.role === "viewer" || winner.disabled).toBe(true);
  });

  it("two first admins at once: one is created, the other gets 409", async () => {
    // The holder blocks inserts into users, not reads: both contenders read "nobody yet" first.
    const results = await raceHeldBy("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", [], "INSERT INTO users", [
      () => createFirstAdmin({ email: "one@test.example", password: TEST_PASSWORD }, { ip: null, via: "test" }),
      () => createFirstAdmin({ email: "two@test.example", password: TEST_PASSWORD }, { ip: null, via: "test" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(await countUsers()).toBe(1);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'setup'")).toBe(1);
  });

  it("failed sign-ins counted at once are all counted", async () => {
    await recordSignInFailure({ email: "target@test.example", ip: "10.1.0.1", now: Date.now(), reason: "wrong e-mail or password" });
    const failures = () => count("SELECT failures AS n FROM sign_in_throttle WHERE key = 'email:target@test.example'");
    await raceHeldBy("SELECT key FROM sign_in_throttle WHERE key = ? FOR UPDATE", ["email:target@test.example"], "INSERT INTO sign_in_throttle", [
      () => recordSignInFailure({ email: "target@test.example", ip: "10.1.0.2", now: Date.now(), reason: "wrong e-mail or password" }),
      () => recordSignInFailure({ email: "target@test.example", ip: "10.1.0.3", now: Date.now(), reason: "wrong e-mail or password" }),
    ]);
    expect(await failures()).toBe(3);
  });
});
