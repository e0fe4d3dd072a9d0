import { randomUUID } from "node:crypto";
import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { ConflictError, ForbiddenError, NotFoundError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { appendAudit, type Actor } from "./audit";
import { getAuth } from "./auth";
import { normalizeEmail } from "./lockout";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password-policy";
import { ROLES, type Role } from "./roles";
import { discardSetupCode, isValidSetupCode } from "./setup-code";

export interface UserSummary {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

const emailSchema = z.string().trim().toLowerCase().pipe(z.email("must be an e-mail address").max(254));
const newUserSchema = z.object({
  email: emailSchema,
  name: z.string().trim().max(100).optional(),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(", ")}` }),
});
export type NewUser = z.input<typeof newUserSchema>;

const changeSchema = z
  .object({
    role: z.enum(ROLES, { message: `must be one of ${ROLES.join(", ")}` }).optional(),
    disabled: z.boolean().optional(),
  })
  .refine((c) => c.role !== undefined || c.disabled !== undefined, { message: "nothing to change: give role and/or disabled", path: ["role"] });

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: number;
  created_at: number;
}

const USER_COLUMNS = "id, email, name, role, disabled, created_at";

const toSummary = (u: UserRow): UserSummary => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  disabled: u.disabled !== 0,
  createdAt: new Date(u.created_at).toISOString(),
});

/** better-auth's password hash (scrypt, memory-hard), so its sign-in verifies what we store. */
async function hashPassword(password: string): Promise<string> {
  return (await (await getAuth()).$context).password.hash(password);
}

const emailTaken = (email: string) => new ConflictError(`A user with e-mail ${email} already exists.`, [{ path: "email", message: "already exists" }]);
const setupClosed = () => new ConflictError("Setup is closed: an account already exists.");

/** The user and their credential account, as better-auth reads them; undefined when the e-mail address is taken. */
async function insertUser(tx: Queryable, user: z.output<typeof newUserSchema>, passwordHash: string, now: number): Promise<UserRow | undefined> {
  const id = randomUUID();
  const row = await tx.one<UserRow>(
    `INSERT INTO users (id, name, email, email_verified, created_at, updated_at, role, disabled) VALUES (?, ?, ?, 1, ?, ?, ?, 0)
     ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [id, user.name || user.email.split("@")[0]!, user.email, now, now, user.role],
  );
  if (!row) return undefined;
  await tx.exec("INSERT INTO accounts (id, account_id, provider_id, user_id, password, created_at, updated_at) VALUES (?, ?, 'credential', ?, ?, ?, ?)", [
    randomUUID(),
    id,
    id,
    passwordHash,
    now,
    now,
  ]);
  return row;
}

const anyUser = async (q: Queryable) => (await q.one("SELECT 1 AS found FROM users LIMIT 1")) !== undefined;

export async function countUsers(): Promise<number> {
  return (await getEngine().one<{ n: number }>("SELECT count(*) AS n FROM users"))!.n;
}

/** Creates a user with a password. ConflictError when the e-mail address is taken. */
export async function createUser(input: unknown, by: { actor: Actor; ip: string | null; via?: string }): Promise<UserSummary> {
  const user = parseInput(newUserSchema, input);
  const hash = await hashPassword(user.password);
  const now = Date.now();
  return getEngine().transaction(async (tx) => {
    // The e-mail address is unique: of two creations at once, the second inserts nothing.
    const row = await insertUser(tx, user, hash, now);
    if (!row) throw emailTaken(user.email);
    await appendAudit(tx, { actor: by.actor, action: "user_created", target: row.email, detail: `role ${row.role}${by.via ? `, ${by.via}` : ""}`, ip: by.ip, at: now });
    return toSummary(row);
  });
}

/**
 * The first admin, only while no user exists at all (from ADMIN_EMAIL at start, or /setup with its
 * code: setUpFirstAdmin). ConflictError once anyone exists, so setup closes for good, even between
 * processes and instances; the setup code is discarded with it.
 */
export async function createFirstAdmin(input: Omit<NewUser, "role">, by: { ip: string | null; via: string }): Promise<UserSummary> {
  return insertFirstAdmin(input, by, async () => {});
}

/**
 * The first admin from /setup: only with the setup code printed at start (ForbiddenError, and
 * nothing created, without it). Checked before the password is hashed, and again in the transaction.
 */
export async function setUpFirstAdmin(input: Omit<NewUser, "role">, setupCode: string, by: { ip: string | null }): Promise<UserSummary> {
  const requireCode = async (q: Queryable) => {
    if (!(await isValidSetupCode(setupCode, q))) {
      if (await anyUser(q)) throw setupClosed();
      throw new ForbiddenError("This setup link is not valid. Open the setup URL printed in the server's start log (a restart prints a new one).");
    }
  };
  await requireCode(getEngine());
  return insertFirstAdmin(input, { ip: by.ip, via: "from /setup" }, requireCode);
}

async function insertFirstAdmin(input: Omit<NewUser, "role">, by: { ip: string | null; via: string }, check: (tx: Queryable) => Promise<void>): Promise<UserSummary> {
  const user = parseInput(newUserSchema, { ...input, role: "admin" });
  const hash = await hashPassword(user.password);
  const now = Date.now();
  // Serializable: two first admins at once (different addresses) each read "no user yet"; on
  // PostgreSQL one of them is then aborted and run again, and finds the other's account.
  return getEngine().transaction(
    async (tx) => {
      if (await anyUser(tx)) throw setupClosed();
      await check(tx);
      const row = await insertUser(tx, user, hash, now);
      if (!row) throw setupClosed();
      await discardSetupCode(tx);
      await appendAudit(tx, { actor: { id: row.id, email: row.email }, action: "setup", target: row.email, detail: by.via, ip: by.ip, at: now });
      return toSummary(row);
    },
    { isolation: "serializable" },
  );
}

/** Every user, by e-mail address. */
export async function listUsers(): Promise<UserSummary[]> {
  const rows = await getEngine().query<UserRow>(`SELECT ${USER_COLUMNS} FROM users`);
  // Sorted here: PostgreSQL's ORDER BY would follow the database's collation, SQLite's compares bytes.
  return rows.map(toSummary).sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
}

/**
 * Changes a user's role and/or disables or enables them. The last active admin can be neither
 * demoted nor disabled (ConflictError), so someone can always manage the server. Disabling ends
 * the user's sessions at once; their API tokens are refused while they stay disabled.
 *
 * One conditional UPDATE: on the user as read, and, when an active admin stops being one, on
 * another active admin existing. Two admins demoting the last two admins at once each see the
 * other still an admin; the transaction is serializable, so on PostgreSQL one of them is aborted
 * and run again, and then finds itself the last one (409). (SQLite runs them one after the other.)
 */
export async function updateUser(id: string, input: unknown, by: { actor: Actor; ip: string | null }): Promise<UserSummary> {
  const change = parseInput(changeSchema, input);
  const now = Date.now();
  return getEngine().transaction(
    async (tx) => {
      const before = await tx.one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
      if (!before) throw new NotFoundError(`No user with id ${id}.`);
      const wasActiveAdmin = before.role === "admin" && before.disabled === 0;
      const role = change.role ?? before.role;
      const disabled = change.disabled ?? before.disabled !== 0;
      const leavesAdmins = wasActiveAdmin && !(role === "admin" && !disabled);
      const after = await tx.one<UserRow>(
        `UPDATE users SET role = ?, disabled = ?, updated_at = ? WHERE id = ? AND role = ? AND disabled = ?
         ${leavesAdmins ? "AND EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'admin' AND other.disabled = 0 AND other.id <> ?)" : ""}
         RETURNING ${USER_COLUMNS}`,
        [role, disabled, now, id, before.role, before.disabled, ...(leavesAdmins ? [id] : [])],
      );
      if (!after && leavesAdmins) {
        throw new ConflictError(`${before.email} is the last active admin: make someone else an admin first.`, [
          { path: change.disabled ? "disabled" : "role", message: "last active admin" },
        ]);
      }
      if (!after) throw new ConflictError(`${before.email} was changed meanwhile: reload and try again.`);
      if (role !== before.role) {
        await appendAudit(tx, { actor: by.actor, action: "user_role_changed", target: after.email, detail: `${before.role} → ${role}`, ip: by.ip, at: now });
      }
      if (disabled !== (before.disabled !== 0)) {
        if (disabled) await tx.exec("DELETE FROM sessions WHERE user_id = ?", [id]);
        await appendAudit(tx, { actor: by.actor, action: disabled ? "user_disabled" : "user_enabled", target: after.email, ip: by.ip, at: now });
      }
      return toSummary(after);
    },
    { isolation: "serializable" },
  );
}

/** A user by e-mail address (for the command line); NotFoundError when there is none. */
export async function findUserByEmail(email: string): Promise<UserSummary> {
  const address = normalizeEmail(email);
  const row = await getEngine().one<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`, [address]);
  if (!row) throw new NotFoundError(`No user with e-mail ${address}.`);
  return toSummary(row);
}

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD at start: create that admin while no user exists. Returns what
 * happened, for the start log.
 */
export async function bootstrapAdmin(email: string | undefined, password: string | undefined): Promise<"created" | "exists" | "unset"> {
  if (!email || !password) return "unset";
  if (await anyUser(getEngine())) return "exists";
  try {
    await createFirstAdmin({ email, password }, { ip: null, via: "from ADMIN_EMAIL at start" });
    return "created";
  } catch (err) {
    // Another process or instance (a CLI, a /setup visitor) created the first account meanwhile.
    if (err instanceof ConflictError) return "exists";
    throw err;
  }
}
