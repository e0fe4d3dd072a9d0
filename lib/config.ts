import { z } from "zod";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./auth/password-policy";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const booleanFlag = optionalString.pipe(
  z
    .enum(["true", "false", "1", "0"], { message: "must be true or false" })
    .optional()
    .transform((v) => v === "true" || v === "1"),
);

/** A non-negative whole number, `fallback` when unset. */
const count = (fallback: number) =>
  optionalString
    .pipe(z.string().regex(/^\d+$/, "must be a whole number ≥ 0").optional())
    .transform((v) => (v === undefined ? fallback : Number(v)));

/**
 * Failures in a window up to which the overview counts affected contacts and the contact lists
 * exactly on every refresh where no per-contact index answers (cheap enough per refresh): the
 * default of the setting EXACT_CONTACTS_LIMIT, and of the reads that are not given it (tests).
 */
export const DEFAULT_EXACT_CONTACTS_LIMIT = 50_000;

const settingsSchema = z
  .object({
    DATABASE_PATH: optionalString.transform((v) => v ?? "./data/faultline.db"),
    /** `postgres://user:pass@host:5432/db` selects PostgreSQL (≥ 14) instead of SQLite at DATABASE_PATH. */
    DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/, message: "must be a postgres:// or postgresql:// URL" }).optional()),
    PORT: optionalString
      .pipe(z.string().regex(/^\d+$/, "must be a port number").optional())
      .transform((v) => (v === undefined ? 3000 : Number(v)))
      .pipe(z.number().int().min(1, "must be 1–65535").max(65535, "must be 1–65535")),
    HOST: optionalString.transform((v) => v ?? "0.0.0.0"),
    PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    WEBHOOK_SECRET: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
    WEBHOOK_SIGNING_SECRET: optionalString.pipe(
      z
        .string()
        .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, "must look like whsec_<base64>")
        .optional(),
    ),
    /** With ADMIN_PASSWORD: the first admin, created at start while no user exists. */
    ADMIN_EMAIL: optionalString.pipe(z.email("must be an e-mail address").optional()),
    // Not trimmed: spaces may be part of a password.
    ADMIN_PASSWORD: z
      .string()
      .optional()
      .transform((v) => (v === "" ? undefined : v))
      .pipe(
        z
          .string()
          .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
          .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
          .optional(),
      ),
    /**
     * Behind a reverse proxy: take the client address from the last X-Forwarded-For entry (the
     * one the proxy added) instead of the socket, for sign-in lockouts and the audit log.
     */
    TRUST_PROXY: booleanFlag,
    /** Webhook requests per second each client address may make (token bucket refill); 0 = no limit. */
    WEBHOOK_RATE_LIMIT: count(10_000),
    /** Webhook requests one address may send at once before the per-second rate applies. */
    WEBHOOK_RATE_BURST: count(20_000),
    /** Sign-in attempts (form or API, and /setup) per minute per client address; 0 = no limit. */
    SIGN_IN_RATE_LIMIT: count(20),
    /** Keep raw events and failures this many days (whole UTC days); unset = keep everything. */
    RETENTION_DAYS: optionalString
      .pipe(z.string().regex(/^\d+$/, "must be a whole number of days").optional())
      .transform((v) => (v === undefined ? undefined : Number(v)))
      .pipe(z.number().int().min(1, "must be at least 1").optional()),
    // ── Re-deployment through Treble's API (lib/redeploy) ──
    /** Base URL of Treble's API; plans POST to {TREBLE_API_URL}/deployment/api/poll/{poll_id}. */
    TREBLE_API_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()).transform((v) => (v ?? "https://main.treble.ai").replace(/\/+$/, "")),
    /** Treble API key (`ak_…`), sent raw as Authorization; overrides the one an admin stored in Settings. */
    TREBLE_API_KEY: optionalString,
    /** Encrypts secrets kept in the database (the Treble API key set in Settings). */
    SECRET_KEY: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
    /** The most contacts one re-deployment plan may hold. */
    REDEPLOY_MAX_CONTACTS: count(5000).pipe(z.number().int().min(1, "must be at least 1")),
    /** How long one call to Treble may take before its outcome is treated as unknown (ms). */
    TREBLE_API_TIMEOUT_MS: count(30_000).pipe(z.number().int().min(100, "must be at least 100")),
    /** Keep audit log entries this many days (failed sign-ins and lockouts included). */
    AUDIT_RETENTION_DAYS: count(365).pipe(z.number().int().min(1, "must be at least 1")),
    /** Open connections one client address may hold at once; 0 = no limit. */
    MAX_CONNECTIONS_PER_IP: count(256),
    /** Alerts by e-mail: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…` (TLS). */
    SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/, message: "must be an smtp:// or smtps:// URL" }).optional()),
    /** The From address of alert e-mails. */
    ALERTS_FROM: optionalString.transform((v) => v ?? "Faultline <faultline@localhost>"),
    /** A dashboard read (query, count, export chunk) running longer than this is cancelled: 503 query_timeout. */
    QUERY_TIMEOUT_MS: count(10_000).pipe(z.number().int().min(1, "must be at least 1")),
    /** DEFAULT_EXACT_CONTACTS_LIMIT's setting; beyond it, an estimate, or under a status a Count action (lib/queries/stats.ts). */
    EXACT_CONTACTS_LIMIT: count(DEFAULT_EXACT_CONTACTS_LIMIT),
    /** Worker threads for dashboard reads, off the webhook's thread (exports get one each besides). More than the per-user cap of 2, so one user cannot take them all. */
    READ_WORKERS: count(3).pipe(z.number().int().min(1, "must be at least 1").max(16, "must be at most 16")),
    /** pino level of the server's JSON logs (fatal, error, warn, info, debug, trace, silent). */
    LOG_LEVEL: optionalString.pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional()).transform((v) => v ?? "info"),
  })
  .superRefine((s, ctx) => {
    if (s.ADMIN_EMAIL !== undefined && s.ADMIN_PASSWORD === undefined) {
      ctx.addIssue({ code: "custom", path: ["ADMIN_PASSWORD"], message: "must be set together with ADMIN_EMAIL" });
    }
    if (s.ADMIN_PASSWORD !== undefined && s.ADMIN_EMAIL === undefined) {
      ctx.addIssue({ code: "custom", path: ["ADMIN_EMAIL"], message: "must be set together with ADMIN_PASSWORD" });
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

export class ConfigError extends Error {}

/** Parses settings from an environment; throws a ConfigError naming every bad variable. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Settings | undefined;

/** The process settings, parsed and validated once. */
export function getSettings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}
