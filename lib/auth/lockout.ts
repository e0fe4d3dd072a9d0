import { eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { signInThrottle } from "@/db/schema";
import { recordAudit, type Actor } from "./audit";

/** Failed sign-ins one account may have within FAILURE_WINDOW_MS before it is locked out. */
export const ACCOUNT_MAX_FAILURES = 5;
/** Failed sign-ins one client address may have within FAILURE_WINDOW_MS (any accounts). */
export const ADDRESS_MAX_FAILURES = 20;
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** How long a locked account or address is refused, even with the right password. */
export const LOCKOUT_MS = 15 * 60_000;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

interface Subject {
  key: string;
  max: number;
  what: string;
}

function subjects(email: string, ip: string | null): Subject[] {
  const list: Subject[] = [];
  const address = normalizeEmail(email);
  if (address) list.push({ key: `email:${address}`, max: ACCOUNT_MAX_FAILURES, what: `account ${address}` });
  if (ip) list.push({ key: `ip:${ip}`, max: ADDRESS_MAX_FAILURES, what: `address ${ip}` });
  return list;
}

/** Until when sign-ins for this account or from this address are refused; null when they are not. */
export function signInLockedUntil(db: Db, email: string, ip: string | null, now: number): number | null {
  const keys = subjects(email, ip).map((s) => s.key);
  if (!keys.length) return null;
  const rows = db.select().from(signInThrottle).where(inArray(signInThrottle.key, keys)).all();
  const until = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  return until > now ? until : null;
}

/**
 * Counts a failed sign-in against the account and the address. When either reaches its limit
 * within the window it is locked for LOCKOUT_MS and the lockout is written to the audit log, in
 * the same transaction as the failure itself.
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
      const locks = failures >= subject.max;
      const until = locks ? now + LOCKOUT_MS : (row?.lockedUntil ?? null);
      tx.insert(signInThrottle)
        .values({ key: subject.key, failures: locks ? 0 : failures, windowStart: locks ? now : windowStart, lockedUntil: until })
        .onConflictDoUpdate({
          target: signInThrottle.key,
          set: { failures: locks ? 0 : failures, windowStart: locks ? now : windowStart, lockedUntil: until },
        })
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

/** A successful sign-in: the account's failures are forgotten, and the sign-in is logged. */
export function recordSignIn(db: Db, input: { user: Actor; ip: string | null; now: number }): void {
  db.transaction((tx) => {
    if (input.user.email) tx.delete(signInThrottle).where(eq(signInThrottle.key, `email:${normalizeEmail(input.user.email)}`)).run();
    recordAudit(tx, { actor: input.user, action: "sign_in", target: input.user.email, ip: input.ip, at: input.now });
  });
}
