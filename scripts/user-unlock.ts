// `npm run user:unlock -- --email E [--ip A]`: lifts sign-in lockouts in the configured database
// (DATABASE_URL or DATABASE_PATH), also while the server runs.
import { closeEngine } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { clearSignInLockouts, normalizeEmail } from "@/lib/auth/lockout";
import { parseFlags, runMain, stringFlag, UsageError } from "./demo/cli";

const HELP = `Usage: npm run user:unlock -- --email <address> [--ip <client address>]

Lifts the sign-in lockouts of that account from every client address (and the slowdown of its
sign-ins), so it can sign in again at once. With --ip, also lifts the lockout of that client
address (20 failed sign-ins for any accounts). The clearing is written to the audit log.
Works on DATABASE_URL (PostgreSQL) when set, else on DATABASE_PATH (default ./data/faultline.db),
also while the server runs.`;

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), {
    email: { type: "string" },
    ip: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const email = stringFlag(flags, "email");
  const ip = stringFlag(flags, "ip");
  if (!email && !ip) throw new UsageError("--email (and/or --ip) is required");
  try {
    const cleared = await clearSignInLockouts({ email, ip }, { actor: SYSTEM_ACTOR, now: Date.now() });
    const what = [email && `account ${normalizeEmail(email)}`, ip && `address ${ip}`].filter(Boolean).join(" and ");
    console.log(cleared ? `Cleared ${cleared} sign-in lockout record(s) of ${what}.` : `No failed sign-ins or lockouts recorded for ${what}; nothing to clear.`);
    return 0;
  } finally {
    await closeEngine();
  }
}

runMain(main, "user:unlock");
