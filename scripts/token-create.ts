// `npm run token:create -- --email E [--name N]`: creates an API token acting as that user and
// prints it once, alone on the last line of stdout (so `| tail -n 1` captures it).
import { closeEngine } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { createApiToken } from "@/lib/auth/tokens";
import { findUserByEmail } from "@/lib/auth/users";
import { parseFlags, runMain, stringFlag, UsageError } from "./demo/cli";

const HELP = `Usage: npm run token:create -- --email <address> [--name <name>]

Creates an API token that acts as the user with that e-mail address (with their role), for
scripts: send it as "Authorization: Bearer <token>". The token is printed once, alone on the last
line; the database keeps only its hash. Revoke it under Settings → API tokens.
Works on DATABASE_URL (PostgreSQL) when set, else on DATABASE_PATH (default ./data/faultline.db),
also while the server runs.`;

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), {
    email: { type: "string" },
    name: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const email = stringFlag(flags, "email");
  if (!email) throw new UsageError("--email is required");
  try {
    const owner = await findUserByEmail(email);
    const name = stringFlag(flags, "name") ?? "Command-line token";
    const { token, summary } = await createApiToken({ userId: owner.id, name }, { actor: SYSTEM_ACTOR, ip: null });
    console.log(`Created API token #${summary.id} "${summary.name}" acting as ${owner.email} (${owner.role}). It is shown only this once:`);
    console.log(token);
    return 0;
  } finally {
    await closeEngine();
  }
}

runMain(main, "token:create");
