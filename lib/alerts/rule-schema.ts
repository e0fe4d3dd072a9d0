import { z } from "zod";
import { filtersSchema, type Filters } from "@/lib/filters";
import { LOCALES } from "@/lib/i18n/locales";
import { normalizeLine } from "@/lib/lines/line-key";
import { isValidTimeZone } from "@/lib/time/zoned";

/**
 * The shape of alert rules and channels as the API accepts them. Shared by the API, the outbox,
 * the evaluator, the preview and the Settings → Alerts form.
 */

export const TRIGGERS = ["incident_opened", "incident_regressed", "incident_escalating", "template_status", "threshold", "change", "digest"] as const;
export type Trigger = (typeof TRIGGERS)[number];
/** Triggers written at ingest (or by the incident lifecycle) in the same transaction as their cause. */
export const INCIDENT_TRIGGERS = ["incident_opened", "incident_regressed", "incident_escalating"] as const;
/** Triggers the evaluator checks on a timer against the rollups. */
export const WINDOW_TRIGGERS = ["threshold", "change"] as const;

export const CHANNEL_TYPES = ["webhook", "slack", "teams", "email"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const DEFAULT_TEMPLATE_STATUSES = ["PAUSED", "DISABLED", "REJECTED"];
export const DEFAULT_REPEAT_MINUTES = 60;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day HH:MM (24 h)");
const timeZone = z.string().refine(isValidTimeZone, "must be an IANA time zone such as America/Bogota");
const positiveInt = (max: number) => z.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(max, `must be at most ${max}`);

/**
 * The lines of a filter's comma-separated list under the key ingest stores them by ("+57 310 456
 * 7890" → "+573104567890"), each once: how a rule's lines are saved, matched and labelled.
 */
export function ruleLines(list: string | undefined): string[] {
  return [...new Set((list ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(normalizeLine))];
}

/** A filter in the URL's syntax: comma-separated lists of reason, class, line, template; lines saved normalised. */
const ruleFilterSchema = z
  .object({
    reason: z.string().max(2000).optional(),
    class: z.string().max(200).optional(),
    line: z
      .string()
      .max(2000)
      .transform((v) => ruleLines(v).join(","))
      .optional(),
    template: z.string().max(5000).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const parsed = filtersSchema.safeParse({ reason: f.reason, class: f.class, line: f.line, template: f.template });
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: [String(issue.path[0] ?? "")], message: issue.message });
  });
export type RuleFilter = z.infer<typeof ruleFilterSchema>;

export const quietHoursSchema = z.object({ start: clock, end: clock, tz: timeZone }).strict();
export type QuietHours = z.infer<typeof quietHoursSchema>;

export const ruleSchema = z
  .object({
    name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
    enabled: z.boolean().default(true),
    channelIds: z.array(z.number().int().positive()).min(1, "needs at least one channel").max(20, "at most 20 channels"),
    trigger: z.enum(TRIGGERS, { message: `must be one of ${TRIGGERS.join(", ")}` }),
    filter: ruleFilterSchema.default({}),
    threshold: z.object({ count: positiveInt(1_000_000), windowMinutes: positiveInt(7 * 24 * 60) }).strict().optional(),
    change: z
      .object({ percent: positiveInt(100_000), windowMinutes: positiveInt(7 * 24 * 60), minCount: positiveInt(1_000_000) })
      .strict()
      .optional(),
    templateStatuses: z
      .array(z.string().trim().min(1).max(40).transform((s) => s.toUpperCase()))
      .min(1, "needs at least one status")
      .max(20)
      .optional(),
    digest: z.object({ time: clock, tz: timeZone }).strict().optional(),
    repeatMinutes: z.number({ message: "must be a number" }).int("must be a whole number").min(0, "must be at least 0").max(10_080, "must be at most 10080").default(DEFAULT_REPEAT_MINUTES),
    quietHours: quietHoursSchema.nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    const need = (key: "threshold" | "change" | "digest") => {
      if (r[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `is required for the ${r.trigger} trigger` });
    };
    if (r.trigger === "threshold") need("threshold");
    if (r.trigger === "change") need("change");
    if (r.trigger === "digest") need("digest");
    if (r.quietHours && r.quietHours.start === r.quietHours.end) ctx.addIssue({ code: "custom", path: ["quietHours", "end"], message: "must differ from start" });
  })
  .transform((r) => ({
    ...r,
    templateStatuses: r.trigger === "template_status" ? (r.templateStatuses ?? DEFAULT_TEMPLATE_STATUSES) : r.templateStatuses,
  }));
export type RuleInput = z.input<typeof ruleSchema>;
export type RuleDefinition = z.output<typeof ruleSchema>;

/** The rule's filter in the dashboard's parsed form (for rollup counts and links). */
export function ruleFilters(filter: RuleFilter): Filters {
  // Lines normalised here too: rules saved before lines were normalised on save still match.
  return { ...filtersSchema.parse({ reason: filter.reason, class: filter.class, template: filter.template }), line: ruleLines(filter.line) };
}

const httpUrl = z
  .string()
  .trim()
  .max(2000, "must be at most 2000 characters")
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, "must be an http or https URL");

const name = z.string().trim().min(1, "is required").max(100, "must be at most 100 characters");
/** The language the channel's messages are written in; when left out, the creating admin's. */
const locale = z.enum(LOCALES, { message: `must be one of ${LOCALES.join(", ")}` });

export const channelSchema = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("webhook"), name, url: httpUrl, locale: locale.optional(), enabled: z.boolean().default(true) }).strict(),
    z.object({ type: z.literal("slack"), name, url: httpUrl, locale: locale.optional(), enabled: z.boolean().default(true) }).strict(),
    z.object({ type: z.literal("teams"), name, url: httpUrl, locale: locale.optional(), enabled: z.boolean().default(true) }).strict(),
    z
      .object({
        type: z.literal("email"),
        name,
        to: z.array(z.email("must be e-mail addresses")).min(1, "needs at least one address").max(50, "at most 50 addresses"),
        locale: locale.optional(),
        enabled: z.boolean().default(true),
      })
      .strict(),
  ],
  { message: `type must be one of ${CHANNEL_TYPES.join(", ")}` },
);
export type ChannelInput = z.output<typeof channelSchema>;

export const channelPatchSchema = z
  .object({
    name: name.optional(),
    locale: locale.optional(),
    enabled: z.boolean().optional(),
    url: httpUrl.optional(),
    to: z.array(z.email("must be e-mail addresses")).min(1, "needs at least one address").max(50).optional(),
  })
  .strict();
