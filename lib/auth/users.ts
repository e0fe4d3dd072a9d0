import { randomUUID } from "node:crypto";
import { and, asc, count, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { accounts, sessions, users } from "@/db/schema";
import { ConflictError, ForbiddenError, NotFoundError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { recordAudit, type Actor, type DbOrTx } from "./audit";
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

const toSummary = (u: typeof users.$inferSelect): UserSummary => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  disabled: u.disabled,
  createdAt: u.createdAt.toISOString(),
});

/** better-auth's password hash (scrypt, memory-hard), so its sign-in verifies what we store. */
async function hashPassword(password: string): Promise<string> {
  return (await getAuth().$context).password.hash(password);
}

function insertUser(tx: DbOrTx, user: z.output<typeof newUserSchema>, passwordHash: string, now: Date): typeof users.$inferSelect {
  const id = randomUUID();
  const row = tx
    .insert(users)
    .values({ id, email: user.email, name: user.name || user.email.split("@")[0]!, emailVerified: true, role: user.role, createdAt: now, updatedAt: now })
    .returning()
    .get();
  tx.insert(accounts).values({ id: randomUUID(), accountId: id, providerId: "credential", userId: id, password: passwordHash, createdAt: now, updatedAt: now }).run();
  return row;
}

export function countUsers(db: Db = getDb().db): number {
  return db.select({ n: count() }).from(users).get()!.n;
}

/** Creates a user with a password. ConflictError when the e-mail address is taken. */
export async function createUser(db: Db, input: unknown, by: { actor: Actor; ip: string | null; via?: string }): Promise<UserSummary> {
  const user = parseInput(newUserSchema, input);
  const hash = await hashPassword(user.password);
  const now = new Date();
  return db.transaction(
    (tx) => {
      if (tx.select({ id: users.id }).from(users).where(eq(users.email, user.email)).get()) {
        throw new ConflictError(`A user with e-mail ${user.email} already exists.`, [{ path: "email", message: "already exists" }]);
      }
      const row = insertUser(tx, user, hash, now);
      recordAudit(tx, { actor: by.actor, action: "user_created", target: row.email, detail: `role ${row.role}${by.via ? `, ${by.via}` : ""}`, ip: by.ip, at: now.getTime() });
      return toSummary(row);
    },
    { behavior: "immediate" },
  );
}

/**
 * The first admin, only while no user exists at all (from ADMIN_EMAIL at start, or /setup with its
 * code: setUpFirstAdmin). ConflictError once anyone exists, so setup closes for good, even between
 * processes; the setup code is discarded with it.
 */
export async function createFirstAdmin(db: Db, input: Omit<NewUser, "role">, by: { ip: string | null; via: string }): Promise<UserSummary> {
  return insertFirstAdmin(db, input, by, () => {});
}

/**
 * The first admin from /setup: only with the setup code printed at start (ForbiddenError, and
 * nothing created, without it). Checked before the password is hashed, and again in the transaction.
 */
export async function setUpFirstAdmin(db: Db, input: Omit<NewUser, "role">, setupCode: string, by: { ip: string | null }): Promise<UserSummary> {
  const requireCode = (tx: DbOrTx) => {
    if (!isValidSetupCode(tx, setupCode)) {
      if (countUsers(db) > 0) throw new ConflictError("Setup is closed: an account already exists.");
      throw new ForbiddenError("This setup link is not valid. Open the setup URL printed in the server's start log (a restart prints a new one).");
    }
  };
  requireCode(db);
  return insertFirstAdmin(db, input, { ip: by.ip, via: "from /setup" }, requireCode);
}

async function insertFirstAdmin(db: Db, input: Omit<NewUser, "role">, by: { ip: string | null; via: string }, check: (tx: DbOrTx) => void): Promise<UserSummary> {
  const user = parseInput(newUserSchema, { ...input, role: "admin" });
  const hash = await hashPassword(user.password);
  const now = new Date();
  return db.transaction(
    (tx) => {
      if (tx.select({ n: count() }).from(users).get()!.n > 0) throw new ConflictError("Setup is closed: an account already exists.");
      check(tx);
      const row = insertUser(tx, user, hash, now);
      discardSetupCode(tx);
      recordAudit(tx, { actor: { id: row.id, email: row.email }, action: "setup", target: row.email, detail: by.via, ip: by.ip, at: now.getTime() });
      return toSummary(row);
    },
    { behavior: "immediate" },
  );
}

export function listUsers(db: Db = getDb().db): UserSummary[] {
  return db.select().from(users).orderBy(asc(users.email)).all().map(toSummary);
}

/**
 * Changes a user's role and/or disables or enables them. The last active admin can be neither
 * demoted nor disabled (ConflictError), so someone can always manage the server. Disabling ends
 * the user's sessions at once; their API tokens are refused while they stay disabled.
 */
export function updateUser(db: Db, id: string, input: unknown, by: { actor: Actor; ip: string | null }): UserSummary {
  const change = parseInput(changeSchema, input);
  const now = new Date();
  return db.transaction(
    (tx) => {
      const before = tx.select().from(users).where(eq(users.id, id)).get();
      if (!before) throw new NotFoundError(`No user with id ${id}.`);
      const role = change.role ?? before.role;
      const disabled = change.disabled ?? before.disabled;
      const staysActiveAdmin = role === "admin" && !disabled;
      if (before.role === "admin" && !before.disabled && !staysActiveAdmin) {
        const others = tx
          .select({ n: count() })
          .from(users)
          .where(and(eq(users.role, "admin"), eq(users.disabled, false), ne(users.id, id)))
          .get()!.n;
        if (others === 0) {
          throw new ConflictError(`${before.email} is the last active admin: make someone else an admin first.`, [
            { path: change.disabled ? "disabled" : "role", message: "last active admin" },
          ]);
        }
      }
      const after = tx.update(users).set({ role, disabled, updatedAt: now }).where(eq(users.id, id)).returning().get()!;
      const at = now.getTime();
      if (role !== before.role) {
        recordAudit(tx, { actor: by.actor, action: "user_role_changed", target: after.email, detail: `${before.role} → ${role}`, ip: by.ip, at });
      }
      if (disabled !== before.disabled) {
        if (disabled) tx.delete(sessions).where(eq(sessions.userId, id)).run();
        recordAudit(tx, { actor: by.actor, action: disabled ? "user_disabled" : "user_enabled", target: after.email, ip: by.ip, at });
      }
      return toSummary(after);
    },
    { behavior: "immediate" },
  );
}

/** A user by e-mail address (for the command line); NotFoundError when there is none. */
export function findUserByEmail(db: Db, email: string): UserSummary {
  const address = normalizeEmail(email);
  const row = db.select().from(users).where(eq(users.email, address)).get();
  if (!row) throw new NotFoundError(`No user with e-mail ${address}.`);
  return toSummary(row);
}

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD at start: create that admin while no user exists. Returns what
 * happened, for the start log.
 */
export async function bootstrapAdmin(db: Db, email: string | undefined, password: string | undefined): Promise<"created" | "exists" | "unset"> {
  if (!email || !password) return "unset";
  if (countUsers(db) > 0) return "exists";
  try {
    await createFirstAdmin(db, { email, password }, { ip: null, via: "from ADMIN_EMAIL at start" });
    return "created";
  } catch (err) {
    // Another process (a CLI, a /setup visitor) created the first account meanwhile.
    if (err instanceof ConflictError) return "exists";
    throw err;
  }
}
