import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { appendAudit, type Actor } from "./audit";

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
export async function signInGate(email: string, ip: string | null, now: number): Promise<SignInGate> {
  const list = subjects(email, ip);
  if (!list.length) return { lockedUntil: null, delayMs: 0 };
  const engine = getEngine();
  const rows = await engine.query<ThrottleRow>(
    `SELECT key, failures, window_start, locked_until FROM sign_in_throttle WHERE key IN ${engine.dialect.jsonArrayValues("text")}`,
    [JSON.stringify(list.map((s) => s.key))],
  );
  const until = Math.max(0, ...rows.map((r) => r.locked_until ?? 0));
  const account = rows.find((r) => r.key === accountKey(normalizeEmail(email)));
  const recent = account && now - account.window_start < FAILURE_WINDOW_MS ? account.failures : 0;
  const excess = recent - ACCOUNT_SLOWDOWN_AFTER + 1;
  return {
    lockedUntil: until > now ? until : null,
    delayMs: excess > 0 ? Math.min(MAX_SLOWDOWN_MS, excess * SLOWDOWN_STEP_MS) : 0,
  };
}

interface ThrottleRow {
  key: string;
  failures: number;
  window_start: number;
  locked_until: number | null;
}

/**
 * Counts one failure against `subject` in one upsert, so failures counted at once by several
 * processes or instances are all counted: a window that has run out starts over at 1, and
 * reaching the subject's limit locks it for LOCKOUT_MS and starts the count over (the next lockout
 * needs a full set of new failures). Returns whether this failure locked it.
 */
async function countFailure(tx: Queryable, subject: Subject, now: number): Promise<boolean> {
  // `excluded.window_start` is `now`; the limits are this module's constants, written into the text.
  const expired = `excluded.window_start - sign_in_throttle.window_start >= ${FAILURE_WINDOW_MS}`;
  const count = `(CASE WHEN ${expired} THEN 1 ELSE sign_in_throttle.failures + 1 END)`;
  const reaches = subject.max === null ? "1 = 0" : `${count} >= ${subject.max}`;
  const locksAtOnce = subject.max !== null && subject.max <= 1;
  const row = await tx.one<{ locked: number }>(
    `INSERT INTO sign_in_throttle (key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN ${reaches} THEN 0 ELSE ${count} END,
       window_start = CASE WHEN ${reaches} OR ${expired} THEN excluded.window_start ELSE sign_in_throttle.window_start END,
       locked_until = CASE WHEN ${reaches} THEN excluded.window_start + ${LOCKOUT_MS} ELSE sign_in_throttle.locked_until END
     RETURNING CASE WHEN failures = 0 THEN 1 ELSE 0 END AS locked`,
    [subject.key, locksAtOnce ? 0 : 1, now, locksAtOnce ? now + LOCKOUT_MS : null],
  );
  return row!.locked === 1;
}

/**
 * Counts a failed sign-in against the account, the pair and the address. When the pair or the
 * address reaches its limit within the window it is locked for LOCKOUT_MS and the lockout is
 * written to the audit log, in the same transaction as the failure itself.
 */
export async function recordSignInFailure(input: { email: string; ip: string | null; now: number; reason: string }): Promise<{ lockedUntil: number | null }> {
  const { email, ip, now } = input;
  const attempted: Actor = { id: null, email: normalizeEmail(email) || null };
  return getEngine().transaction(async (tx) => {
    await appendAudit(tx, { actor: attempted, action: "sign_in_failed", target: attempted.email, detail: input.reason, ip, at: now });
    let lockedUntil: number | null = null;
    for (const subject of subjects(email, ip)) {
      if (!(await countFailure(tx, subject, now))) continue;
      lockedUntil = now + LOCKOUT_MS;
      await appendAudit(tx, {
        actor: attempted,
        action: "lockout",
        target: subject.what,
        detail: `${subject.max} failed sign-ins within ${FAILURE_WINDOW_MS / 60_000} min; locked until ${new Date(lockedUntil).toISOString()}`,
        ip,
        at: now,
      });
    }
    return { lockedUntil };
  });
}

/**
 * A successful sign-in: the account's failures (everywhere, so it is no longer slowed down) and
 * those of its pair with this address are forgotten, and the sign-in is logged. Other pairs stay
 * locked: whoever guessed from there is still refused.
 */
export async function recordSignIn(input: { user: Actor; ip: string | null; now: number }): Promise<void> {
  await getEngine().transaction(async (tx) => {
    const email = input.user.email && normalizeEmail(input.user.email);
    if (email) {
      const keys = input.ip ? [accountKey(email), pairKey(email, input.ip)] : [accountKey(email)];
      await tx.exec(`DELETE FROM sign_in_throttle WHERE key IN ${tx.dialect.jsonArrayValues("text")}`, [JSON.stringify(keys)]);
    }
    await appendAudit(tx, { actor: input.user, action: "sign_in", target: input.user.email, ip: input.ip, at: input.now });
  });
}

/**
 * Lifts lockouts (from the command line): those of an account from every address (and its
 * slowdown), and/or that of a client address. Returns how many records were cleared; the
 * clearing is in the audit log.
 */
export async function clearSignInLockouts(input: { email?: string; ip?: string }, by: { actor: Actor; now: number }): Promise<number> {
  const email = input.email ? normalizeEmail(input.email) : undefined;
  return getEngine().transaction(async (tx) => {
    let cleared = 0;
    if (email) {
      const prefix = pairPrefix(email);
      // The prefix compared as it is (an address may hold LIKE's wildcards).
      cleared += (await tx.exec(`DELETE FROM sign_in_throttle WHERE key = ? OR substr(key, 1, ${prefix.length}) = ?`, [accountKey(email), prefix])).changes;
      await appendAudit(tx, { actor: by.actor, action: "lockout_cleared", target: `account ${email}`, ip: null, at: by.now });
    }
    if (input.ip) {
      cleared += (await tx.exec("DELETE FROM sign_in_throttle WHERE key = ?", [addressKey(input.ip)])).changes;
      await appendAudit(tx, { actor: by.actor, action: "lockout_cleared", target: `address ${input.ip}`, ip: null, at: by.now });
    }
    return cleared;
  });
}

/** Deletes throttle records that no longer lock or count anything. Returns how many. */
export async function pruneSignInThrottle(now: number): Promise<number> {
  const { changes } = await getEngine().exec("DELETE FROM sign_in_throttle WHERE window_start < ? AND (locked_until IS NULL OR locked_until < ?)", [now - FAILURE_WINDOW_MS, now]);
  return changes;
}
