import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { signInThrottle } from "@/db/schema";
import { recordAudit, type Actor } from "./audit";

/**
 * Failed sign-ins are counted three ways, within FAILURE_WINDOW_MS:
 * - per (account, client address) pair: PAIR_MAX_FAILURES lock that pair out for LOCKOUT_MS, even
 *   with the right password. The owner signing in from elsewhere is not affected, so nobody can
 *   lock someone else out by guessing wrong on purpose;
 * - per client address (any accounts): ADDRESS_MAX_FAILURES lock the address out;
 * - per account (any addresses): past ACCOUNT_SLOWDOWN_AFTER, every further sign-in attempt for
 *   the account waits a little longer before its password is checked (up to MAX_SLOWDOWN_MS), so
 *   guessing from many addresses is slowed down while the right password still gets in.
 */
export const PAIR_MAX_FAILURES = 5;
export const ADDRESS_MAX_FAILURES = 20;
export const ACCOUNT_SLOWDOWN_AFTER = 5;
export const SLOWDOWN_STEP_MS = 1_000;
export const MAX_SLOWDOWN_MS = 10_000;
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** How long a locked pair or address is refused, even with the right password. */
export const LOCKOUT_MS = 15 * 60_000;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const accountKey = (email: string) => `email:${email}`;
const addressKey = (ip: string) => `ip:${ip}`;
/** The e-mail address first, so every pair of one account shares the prefix pairPrefix(). */
const pairKey = (email: string, ip: string) => `${pairPrefix(email)}${ip}`;
const pairPrefix = (email: string) => `pair:${email}|`;

interface Subject {
  key: string;
  /** Failures that lock the subject out; null for the account, which is only slowed down. */
  max: number | null;
  what: string;
}

function subjects(email: string, ip: string | null): Subject[] {
  const list: Subject[] = [];
  const address = normalizeEmail(email);
  if (address) list.push({ key: accountKey(address), max: null, what: `account ${address}` });
  if (address && ip) list.push({ key: pairKey(address, ip), max: PAIR_MAX_FAILURES, what: `account ${address} from address ${ip}` });
  if (ip) list.push({ key: addressKey(ip), max: ADDRESS_MAX_FAILURES, what: `address ${ip}` });
  return list;
}

export interface SignInGate {
  /** Until when this sign-in is refused (its pair or its address is locked out); null when it is not. */
  lockedUntil: number | null;
  /** How long to wait before checking the password (the account is being guessed at). */
  delayMs: number;
}

/** Whether a sign-in for `email` from `ip` may go ahead now, and after how long a wait. */
export function signInGate(db: Db, email: string, ip: string | null, now: number): SignInGate {
  const list = subjects(email, ip);
  if (!list.length) return { lockedUntil: null, delayMs: 0 };
  const rows = db.select().from(signInThrottle).where(inArray(signInThrottle.key, list.map((s) => s.key))).all();
  const until = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  const account = rows.find((r) => r.key === accountKey(normalizeEmail(email)));
  const recent = account && now - account.windowStart < FAILURE_WINDOW_MS ? account.failures : 0;
  const excess = recent - ACCOUNT_SLOWDOWN_AFTER + 1;
  return {
    lockedUntil: until > now ? until : null,
    delayMs: excess > 0 ? Math.min(MAX_SLOWDOWN_MS, excess * SLOWDOWN_STEP_MS) : 0,
  };
}

/**
 * Counts a failed sign-in against the account, the pair and the address. When the pair or the
 * address reaches its limit within the window it is locked for LOCKOUT_MS and the lockout is
 * written to the audit log, in the same transaction as the failure itself.
 */
export function recordSignInFailure(db: Db, input: { email: string; ip: string | null; now: number; reason: string }): { lockedUntil: number | null } {
  const { email, ip, now } = input;
  const attempted: Actor = { id: null, email: normalizeEmail(email) || null };
  // Immediate: the read-modify-write of a counter must not race another process's.
  return db.transaction((tx) => {
    recordAudit(tx, { actor: attempted, action: "sign_in_failed", target: attempted.email, detail: input.reason, ip, at: now });
    let lockedUntil: number | null = null;
    for (const subject of subjects(email, ip)) {
      const row = tx.select().from(signInThrottle).where(eq(signInThrottle.key, subject.key)).get();
      const fresh = !row || now - row.windowStart >= FAILURE_WINDOW_MS;
      const failures = fresh ? 1 : row.failures + 1;
      const windowStart = fresh ? now : row.windowStart;
      // Once locked, the count starts over: the next lockout needs a full set of new failures.
      const locks = subject.max !== null && failures >= subject.max;
      const values = {
        failures: locks ? 0 : failures,
        windowStart: locks ? now : windowStart,
        lockedUntil: locks ? now + LOCKOUT_MS : (row?.lockedUntil ?? null),
      };
      tx.insert(signInThrottle)
        .values({ key: subject.key, ...values })
        .onConflictDoUpdate({ target: signInThrottle.key, set: values })
        .run();
      if (locks) {
        lockedUntil = Math.max(lockedUntil ?? 0, now + LOCKOUT_MS);
        recordAudit(tx, {
          actor: attempted,
          action: "lockout",
          target: subject.what,
          detail: `${subject.max} failed sign-ins within ${FAILURE_WINDOW_MS / 60_000} min; locked until ${new Date(now + LOCKOUT_MS).toISOString()}`,
          ip,
          at: now,
        });
      }
    }
    return { lockedUntil };
  }, { behavior: "immediate" });
}

/**
 * A successful sign-in: the account's failures (everywhere, so it is no longer slowed down) and
 * those of its pair with this address are forgotten, and the sign-in is logged. Other pairs stay
 * locked: whoever guessed from there is still refused.
 */
export function recordSignIn(db: Db, input: { user: Actor; ip: string | null; now: number }): void {
  db.transaction((tx) => {
    const email = input.user.email && normalizeEmail(input.user.email);
    if (email) {
      const keys = input.ip ? [accountKey(email), pairKey(email, input.ip)] : [accountKey(email)];
      tx.delete(signInThrottle).where(inArray(signInThrottle.key, keys)).run();
    }
    recordAudit(tx, { actor: input.user, action: "sign_in", target: input.user.email, ip: input.ip, at: input.now });
  });
}

/**
 * Lifts lockouts (from the command line): those of an account from every address (and its
 * slowdown), and/or that of a client address. Returns how many records were cleared; the
 * clearing is in the audit log.
 */
export function clearSignInLockouts(db: Db, input: { email?: string; ip?: string }, by: { actor: Actor; now: number }): number {
  const email = input.email ? normalizeEmail(input.email) : undefined;
  return db.transaction((tx) => {
    let cleared = 0;
    if (email) {
      const prefix = pairPrefix(email);
      cleared += tx
        .delete(signInThrottle)
        .where(or(eq(signInThrottle.key, accountKey(email)), sql`substr(${signInThrottle.key}, 1, ${prefix.length}) = ${prefix}`))
        .run().changes;
      recordAudit(tx, { actor: by.actor, action: "lockout_cleared", target: `account ${email}`, ip: null, at: by.now });
    }
    if (input.ip) {
      cleared += tx.delete(signInThrottle).where(eq(signInThrottle.key, addressKey(input.ip))).run().changes;
      recordAudit(tx, { actor: by.actor, action: "lockout_cleared", target: `address ${input.ip}`, ip: null, at: by.now });
    }
    return cleared;
  }, { behavior: "immediate" });
}

/** Deletes throttle records that no longer lock or count anything. Returns how many. */
export function pruneSignInThrottle(db: Db, now: number): number {
  return db
    .delete(signInThrottle)
    .where(and(lt(signInThrottle.windowStart, now - FAILURE_WINDOW_MS), or(isNull(signInThrottle.lockedUntil), lt(signInThrottle.lockedUntil, now))))
    .run().changes;
}
