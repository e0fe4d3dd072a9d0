import { z } from "zod";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const settingsSchema = z.object({
  DATABASE_PATH: optionalString.transform((v) => v ?? "./data/faultline.db"),
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
