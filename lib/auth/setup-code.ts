import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { deleteSetting, readSetting, writeSetting } from "@/lib/settings-store";

/**
 * The one-time code that opens /setup on a fresh install. Without it, whoever reached a new server
 * first (it listens on every interface, to receive Treble) could make themselves its admin. A new
 * code is issued at each start while no account exists and printed in the start log; only its
 * SHA-256 is kept, and it is deleted with the creation of the first account.
 */
const SETUP_CODE_KEY = "setup_code_sha256";

const digest = (code: string) => createHash("sha256").update(code).digest();

/** A fresh code (256 random bits), replacing any earlier one. Call only while no account exists. */
export async function issueSetupCode(now = Date.now()): Promise<string> {
  const code = randomBytes(32).toString("base64url");
  await writeSetting(getEngine(), SETUP_CODE_KEY, digest(code).toString("hex"), now);
  return code;
}

const anyUser = async (q: Queryable) => (await q.one("SELECT 1 AS found FROM users LIMIT 1")) !== undefined;

/** Whether `code` opens /setup: it is the last one issued, and still no account exists. */
export async function isValidSetupCode(code: string | null | undefined, q: Queryable = getEngine()): Promise<boolean> {
  if (!code) return false;
  const stored = await readSetting(q, SETUP_CODE_KEY);
  if (stored === undefined || (await anyUser(q))) return false;
  return timingSafeEqual(digest(code), Buffer.from(stored, "hex"));
}

/**
 * Whether a request for /setup (its query string) may reach the page or its form: always once an
 * account exists (the page then sends everyone to /login), before that only with the code.
 */
export async function setupRequestAllowed(search: string): Promise<boolean> {
  const engine = getEngine();
  return (await anyUser(engine)) || isValidSetupCode(new URLSearchParams(search).get("code"), engine);
}

/** Forgets the code: once an account exists, /setup is closed for good. */
export async function discardSetupCode(q: Queryable): Promise<void> {
  await deleteSetting(q, SETUP_CODE_KEY);
}
