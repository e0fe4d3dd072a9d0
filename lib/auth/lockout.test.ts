import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as authPost } from "@/app/api/auth/[...all]/route";
import { getEngine } from "@/db/client";
import { CLIENT_IP_HEADER } from "@/lib/auth/client-ip";
import { createTestUser, TEST_PASSWORD, type TestUser } from "@/lib/testing/auth";
import { ENGINES, setupEngineDatabases } from "@/lib/testing/engine-databases";
import { CLUSTER_START_TIMEOUT_MS } from "@/lib/testing/pg-cluster";
import { listAudit } from "./audit";
import {
  ACCOUNT_SLOWDOWN_AFTER,
  ADDRESS_MAX_FAILURES,
  clearSignInLockouts,
  FAILURE_WINDOW_MS,
  LOCKOUT_MS,
  PAIR_MAX_FAILURES,
  pruneSignInThrottle,
  signInGate,
  SLOWDOWN_STEP_MS,
} from "./lockout";

const databases = setupEngineDatabases();
afterAll(() => databases.cleanup());
afterEach(() => vi.useRealTimers());

interface SignInAnswer {
  status: number;
  retryAfter: string | null;
  body: { code?: string; message?: string; lockedUntil?: string };
}

async function signIn(email: string, password: string, ip: string): Promise<SignInAnswer> {
  const response = await authPost(
    new Request("http://localhost:3000/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json", [CLIENT_IP_HEADER]: ip },
      body: JSON.stringify({ email, password }),
    }),
  );
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as SignInAnswer["body"] };
}

const auditActions = async () => (await listAudit({ limit: "500" })).items;

/** Moves Date (only) forward, as if that much time had passed. */
function advanceClock(ms: number) {
  const next = Date.now() + ms;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(next);
}

const count = async (sql: string, params: string[] = []) => (await getEngine().one<{ n: number }>(sql, params))!.n;

describe.each(ENGINES)("sign-in lockout on %s", (engine) => {
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    await databases.use(engine);
    alice = await createTestUser("operator", "alice@test.example");
    bob = await createTestUser("viewer", "bob@test.example");
  }, CLUSTER_START_TIMEOUT_MS);

  it("locks an (account, address) pair after repeated failures, says until when, logs it, and refuses even the right password from there", async () => {
    const started = Date.now();
    for (let i = 1; i < PAIR_MAX_FAILURES; i++) {
      const wrong = await signIn(alice.user.email, "wrong-password-1", "10.0.0.1");
      expect(wrong.status).toBe(401);
    }
    const locking = await signIn(alice.user.email.toUpperCase(), "wrong-password-1", "10.0.0.1");
    expect(locking.status).toBe(429);
    expect(locking.body.code).toBe("SIGN_IN_LOCKED");
    const until = Date.parse(locking.body.lockedUntil!);
    expect(until).toBeGreaterThanOrEqual(started + LOCKOUT_MS);
    expect(until).toBeLessThanOrEqual(Date.now() + LOCKOUT_MS);
    expect(locking.body.message).toContain(locking.body.lockedUntil);
    expect(Number(locking.retryAfter)).toBeGreaterThan(LOCKOUT_MS / 1000 - 5);

    const right = await signIn(alice.user.email, TEST_PASSWORD, "10.0.0.1");
    expect(right.status).toBe(429);
    expect(right.body.lockedUntil).toBe(locking.body.lockedUntil);

    const log = await auditActions();
    expect(log.filter((a) => a.action === "sign_in_failed" && a.target === alice.user.email)).toHaveLength(PAIR_MAX_FAILURES);
    const lockout = log.find((a) => a.action === "lockout" && a.target === `account ${alice.user.email} from address 10.0.0.1`)!;
    expect(lockout.detail).toContain(new Date(until).toISOString());
    expect(lockout.ip).toBe("10.0.0.1");
    // Other accounts from that address are unaffected.
    expect((await signIn(bob.user.email, TEST_PASSWORD, "10.0.0.1")).status).toBe(200);
  });

  it("still lets the account's owner in from another address (after a slowdown), and keeps the guessing address locked", async () => {
    const started = Date.now();
    const elsewhere = await signIn(alice.user.email, TEST_PASSWORD, "10.0.0.3");
    expect(elsewhere.status).toBe(200);
    // Five failures for the account: this attempt waited before its password was checked.
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOWDOWN_STEP_MS);
    expect((await signIn(alice.user.email, TEST_PASSWORD, "10.0.0.1")).status).toBe(429);
  });

  it("lets the pair in again once the lockout is over, and forgets its failures", async () => {
    advanceClock(LOCKOUT_MS + 1_000);
    const ok = await signIn(alice.user.email, TEST_PASSWORD, "10.0.0.1");
    expect(ok.status).toBe(200);
    expect((await auditActions())[0]).toMatchObject({ action: "sign_in", actorEmail: alice.user.email, ip: "10.0.0.1" });
    // A fresh count: a few failures do not lock again.
    for (let i = 1; i < PAIR_MAX_FAILURES; i++) expect((await signIn(alice.user.email, "nope-nope-nope", "10.0.0.1")).status).toBe(401);
    expect((await signIn(alice.user.email, TEST_PASSWORD, "10.0.0.1")).status).toBe(200);
  });

  it("counts failures within a window only", async () => {
    for (let i = 1; i < PAIR_MAX_FAILURES; i++) expect((await signIn(bob.user.email, "nope-nope-nope", "10.0.1.1")).status).toBe(401);
    advanceClock(FAILURE_WINDOW_MS + 1_000);
    expect((await signIn(bob.user.email, "nope-nope-nope", "10.0.1.1")).status).toBe(401);
    expect((await signIn(bob.user.email, TEST_PASSWORD, "10.0.1.1")).status).toBe(200);
  });

  it("slows an account guessed at from many addresses, without locking it", async () => {
    for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER + 1; i++) expect((await signIn(bob.user.email, "nope-nope-nope", `10.0.2.${i}`)).status).toBe(401);
    const gate = await signInGate(bob.user.email, "10.0.3.1", Date.now());
    expect(gate).toEqual({ lockedUntil: null, delayMs: 2 * SLOWDOWN_STEP_MS });
    const started = Date.now();
    expect((await signIn(bob.user.email, TEST_PASSWORD, "10.0.3.1")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * SLOWDOWN_STEP_MS);
    // Signed in: the slowdown is over.
    expect(await signInGate(bob.user.email, "10.0.3.1", Date.now())).toEqual({ lockedUntil: null, delayMs: 0 });
  });

  it("locks a client address trying many accounts, not the accounts elsewhere", async () => {
    const attacker = "192.0.2.66";
    let last: SignInAnswer | undefined;
    for (let i = 1; i <= ADDRESS_MAX_FAILURES; i++) last = await signIn(`nobody-${i}@test.example`, "guess-guess-guess", attacker);
    expect(last!.status).toBe(429);
    expect((await auditActions()).some((a) => a.action === "lockout" && a.target === `address ${attacker}`)).toBe(true);
    expect((await signIn(bob.user.email, TEST_PASSWORD, attacker)).status).toBe(429);
    expect((await signIn(bob.user.email, TEST_PASSWORD, "192.0.2.67")).status).toBe(200);
    const row = await getEngine().one<{ locked_until: number }>("SELECT locked_until FROM sign_in_throttle WHERE key = ?", [`ip:${attacker}`]);
    expect(row!.locked_until).toBeGreaterThan(Date.now());
  });

  // Ten failures for one account: the sixth to the tenth wait 1+2+3+4+5 s before their password is
  // checked, by design, and the full suite's load adds seconds of hashing: more than the default 20 s.
  it("clears an account's lockouts from every address, and prunes records that ran out", async () => {
    for (const ip of ["10.0.4.1", "10.0.4.2"]) {
      for (let i = 0; i < PAIR_MAX_FAILURES; i++) await signIn(bob.user.email, "nope-nope-nope", ip);
      expect((await signIn(bob.user.email, TEST_PASSWORD, ip)).status).toBe(429);
    }
    const bobRecords = () => count("SELECT count(*) AS n FROM sign_in_throttle WHERE key LIKE '%bob@test.example%'");
    const locked = await bobRecords();
    // Both locked pairs, the earlier ones' failures, and the account's slowdown.
    expect(locked).toBeGreaterThanOrEqual(3);
    expect(await clearSignInLockouts({ email: "BOB@test.example" }, { actor: { id: null, email: null }, now: Date.now() })).toBe(locked);
    expect(await bobRecords()).toBe(0);
    for (const ip of ["10.0.4.1", "10.0.4.2"]) expect((await signIn(bob.user.email, TEST_PASSWORD, ip)).status).toBe(200);
    expect((await auditActions()).find((a) => a.action === "lockout_cleared")).toMatchObject({ target: "account bob@test.example" });

    const rows = () => count("SELECT count(*) AS n FROM sign_in_throttle");
    const before = await rows();
    expect(before).toBeGreaterThan(0);
    // The address lockout above still holds: nothing runs out before it does.
    expect(await pruneSignInThrottle(Date.now())).toBeLessThan(before);
    expect(await count("SELECT count(*) AS n FROM sign_in_throttle WHERE key = 'ip:192.0.2.66'")).toBe(1);
    expect(await pruneSignInThrottle(Date.now() + LOCKOUT_MS + FAILURE_WINDOW_MS)).toBeGreaterThan(0);
    expect(await rows()).toBe(0);
  }, 60_000);
});
