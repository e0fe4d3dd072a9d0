import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { count, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { settings, users } from "@/db/schema";
import type { DbOrTx } from "./audit";

/**
 * The one-time code that opens /setup on a fresh install. Without it, whoever reached a new server
 * first (it listens on every interface, to receive Treble) could make themselves its admin. A new
 * code is issued at each start while no account exists and printed in the start log; only its
 * SHA-256 is kept, and it is deleted with the creation of the first account.
 */
const SETUP_CODE_KEY = "setup_code_sha256";

const digest = (code: string) => createHash("sha256").update(code).digest();

/** A fresh code (256 random bits), replacing any earlier one. Call only while no account exists. */
export function issueSetupCode(db: Db): string {
  const code = randomBytes(32).toString("base64url");
  const value = digest(code).toString("hex");
  db.insert(settings).values({ key: SETUP_CODE_KEY, value }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: Date.now() } }).run();
  return code;
}

/** Whether `code` opens /setup: it is the last one issued, and still no account exists. */
export function isValidSetupCode(db: DbOrTx, code: string | null | undefined): boolean {
  if (!code) return false;
  const row = db.select({ value: settings.value }).from(settings).where(eq(settings.key, SETUP_CODE_KEY)).get();
  if (!row) return false;
  if (db.select({ n: count() }).from(users).get()!.n > 0) return false;
  return timingSafeEqual(digest(code), Buffer.from(row.value, "hex"));
}

/**
 * Whether a request for /setup (its query string) may reach the page or its form: always once an
 * account exists (the page then sends everyone to /login), before that only with the code.
 */
export function setupRequestAllowed(db: Db, search: string): boolean {
  return db.select({ n: count() }).from(users).get()!.n > 0 || isValidSetupCode(db, new URLSearchParams(search).get("code"));
}

/** Forgets the code: once an account exists, /setup is closed for good. */
export function discardSetupCode(db: DbOrTx): void {
  db.delete(settings).where(eq(settings.key, SETUP_CODE_KEY)).run();
}
