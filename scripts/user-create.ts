// `npm run user:create -- --email E --password P --role admin|operator|viewer [--name N]`:
// adds a user to the configured database (DATABASE_URL or DATABASE_PATH), also while the server runs.
import { closeEngine } from "@/db/client";
import { SYSTEM_ACTOR } from "@/lib/auth/audit";
import { ROLES } from "@/lib/auth/roles";
import { createUser } from "@/lib/auth/users";
import { parseFlags, runMain, stringFlag, UsageError } from "./demo/cli";

const HELP = `Usage: npm run user:create -- --email <address> --password <password> --role <${ROLES.join("|")}> [--name <name>]

Creates a user who signs in with that e-mail address and password (the database keeps only a
scrypt hash of it). Works on DATABASE_URL (PostgreSQL) when set, else on DATABASE_PATH (default ./data/faultline.db),
also while the server runs.`;

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), {
    email: { type: "string" },
    password: { type: "string" },
    role: { type: "string" },
    name: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const email = stringFlag(flags, "email");
  const role = stringFlag(flags, "role");
  // Not trimmed: spaces may be part of a password.
  const password = typeof flags.password === "string" ? flags.password : undefined;
  if (!email || !password || !role) throw new UsageError("--email, --password and --role are required");
  try {
    const user = await createUser({ email, password, role, name: stringFlag(flags, "name") }, { actor: SYSTEM_ACTOR, ip: null, via: "from the command line" });
    console.log(`Created ${user.role} ${user.email} (id ${user.id}).`);
    return 0;
  } finally {
    await closeEngine();
  }
}

runMain(main, "user:create");
