import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { APIError, createAuthMiddleware, isAPIError } from "better-auth/api";
import { betterAuth } from "better-auth/minimal";
import { nextCookies } from "better-auth/next-js";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { getDb, getEngine } from "@/db/client";
import type { Engine } from "@/db/engine";
import { PgEngine } from "@/db/pg/engine";
import * as pgSchema from "@/db/pg/schema";
import * as sqliteSchema from "@/db/schema";
import { getSettings } from "@/lib/config";
import { ensureGeneratedSetting } from "@/lib/settings-store";
import { clientIp, CLIENT_IP_HEADER } from "./client-ip";
import { recordSignIn, recordSignInFailure, signInGate } from "./lockout";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password-policy";
import { ROLES } from "./roles";

const AUTH_SECRET_KEY = "auth_secret";
const DAY_SECONDS = 86_400;

/** Error codes our hooks add to better-auth's, for the sign-in form to tell apart. */
export const SIGN_IN_LOCKED = "SIGN_IN_LOCKED";
export const ACCOUNT_DISABLED = "ACCOUNT_DISABLED";

/**
 * better-auth's database: drizzle on the engine's own connection (SQLite) or pool (PostgreSQL),
 * with that engine's twin of the users, sessions, accounts and verifications tables.
 */
function authDatabase(engine: Engine) {
  if (engine instanceof PgEngine) {
    const { users, sessions, accounts, verifications } = pgSchema;
    return drizzleAdapter(drizzlePg(engine.pool, { schema: pgSchema }), { provider: "pg", usePlural: true, schema: { users, sessions, accounts, verifications } });
  }
  const { users, sessions, accounts, verifications } = sqliteSchema;
  return drizzleAdapter(getDb().db, { provider: "sqlite", usePlural: true, schema: { users, sessions, accounts, verifications } });
}

const SIGN_IN_PATH = "/sign-in/email";

function emailOf(body: unknown): string {
  const email = (body as { email?: unknown } | null | undefined)?.email;
  return typeof email === "string" ? email : "";
}

/**
 * @param secret the key better-auth signs cookies with: generated on first start and kept in the
 * database (every instance on it reads the same one), so sessions survive restarts and nobody has
 * to configure one.
 */
function createAuth(engine: Engine, secret: string) {
  const settings = getSettings();
  return betterAuth({
    appName: "Faultline",
    // Unset: derived from each request, so the server answers on whatever address it is reached.
    baseURL: settings.PUBLIC_URL,
    secret,
    database: authDatabase(engine),
    // Accounts are created by admins, the CLI, ADMIN_EMAIL or /setup (lib/auth/users.ts), never by sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: MIN_PASSWORD_LENGTH, maxPasswordLength: MAX_PASSWORD_LENGTH },
    user: {
      additionalFields: {
        role: { type: [...ROLES], required: true, defaultValue: "viewer", input: false },
        disabled: { type: "boolean", required: true, defaultValue: false, input: false },
      },
    },
    // Sessions live in the database (no cookie cache), so a role change, disabling a user or
    // signing out takes effect on the very next request.
    session: { expiresIn: 7 * DAY_SECONDS, updateAge: DAY_SECONDS },
    advanced: {
      // lib/auth/navigation.ts names the resulting cookies for proxy.ts.
      cookiePrefix: "faultline",
      // Secure cookies only when the app is served over https, else a plain-http install could
      // never sign in. (better-auth would otherwise decide by NODE_ENV.)
      useSecureCookies: settings.PUBLIC_URL?.startsWith("https://") ?? false,
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    // Sign-in attempts are limited once, by the custom server (SIGN_IN_RATE_LIMIT) and the lockouts;
    // better-auth's own limiter (3 sign-ins per 10 s in production) would refuse them before the
    // lockouts could count them.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: "error" },
    databaseHooks: {
      session: {
        create: {
          // Runs after the password was verified, so only the account's owner learns it is disabled.
          before: async (session) => {
            const row = await engine.one<{ disabled: number }>("SELECT disabled FROM users WHERE id = ?", [session.userId]);
            if (row?.disabled) throw new APIError("FORBIDDEN", { code: ACCOUNT_DISABLED, message: "This account is disabled. Ask an admin to enable it." });
          },
        },
      },
    },
    hooks: {
      // Lockouts apply to every way in: the sign-in form (auth.api) and POST /api/auth/sign-in/email.
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== SIGN_IN_PATH) return;
        const now = Date.now();
        const gate = await signInGate(emailOf(ctx.body), clientIp(requestHeaders(ctx)), now);
        if (gate.lockedUntil !== null) throw lockedError(gate.lockedUntil, now);
        if (gate.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, gate.delayMs));
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== SIGN_IN_PATH) return;
        const now = Date.now();
        const ip = clientIp(requestHeaders(ctx));
        const returned: unknown = ctx.context.returned;
        if (isAPIError(returned)) {
          const code = (returned.body as { code?: string } | undefined)?.code;
          if (returned.statusCode !== 401 && code !== ACCOUNT_DISABLED) return;
          const reason = code === ACCOUNT_DISABLED ? "account disabled" : "wrong e-mail or password";
          const { lockedUntil } = await recordSignInFailure({ email: emailOf(ctx.body), ip, now, reason });
          if (lockedUntil === null) return;
          const locked = lockedError(lockedUntil, now);
          // Over HTTP better-auth would keep the endpoint's 401 for an error thrown here; a
          // Response is sent as it is. Direct calls (the sign-in form's action) get the error.
          if (ctx.request) return Response.json(locked.body, { status: locked.statusCode, headers: locked.headers as Record<string, string> });
          throw locked;
        }
        const user = ctx.context.newSession?.user;
        if (user) await recordSignIn({ user: { id: user.id, email: user.email }, ip, now });
      }),
    },
    // Lets server actions set and clear the session cookie; must stay the last plugin.
    plugins: [nextCookies()],
  });
}

function requestHeaders(ctx: { headers?: Headers; request?: Request }): Headers {
  return ctx.headers ?? ctx.request?.headers ?? new Headers();
}

function lockedError(until: number, now: number): APIError {
  const at = new Date(until).toISOString();
  return new APIError(
    "TOO_MANY_REQUESTS",
    { code: SIGN_IN_LOCKED, message: `Too many failed sign-ins. Try again after ${at}.`, lockedUntil: at },
    { "Retry-After": String(Math.ceil((until - now) / 1000)) },
  );
}

export type Auth = ReturnType<typeof createAuth>;

let current: { engine: Engine; auth: Promise<Auth> } | undefined;

/**
 * The better-auth instance on the process-wide engine, created on first use (never at module
 * load: `next build` imports every route module) and again if the engine was replaced.
 */
export function getAuth(): Promise<Auth> {
  const engine = getEngine();
  if (current?.engine !== engine) {
    const auth = ensureGeneratedSetting(engine, AUTH_SECRET_KEY).then((secret) => createAuth(engine, secret));
    current = { engine, auth };
    // A failed read (database unreachable) is tried again on the next call, not kept.
    auth.catch(() => {
      if (current?.auth === auth) current = undefined;
    });
  }
  return current.auth;
}
