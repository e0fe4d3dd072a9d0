import { z } from "zod";
import { InvalidInputError } from "@/lib/http/errors";
import { incidentIdSchema, type IncidentItem } from "@/lib/queries/incidents";
import { isIsoDateTime, parseInput } from "@/lib/validate";
import { noteSchema, type ActingUser, type SnoozeCondition } from "./apply";
import { takeAction } from "./take-action";

const HOUR_MS = 3_600_000;
export const MAX_SNOOZE_HOURS = 8760;
export const MAX_SNOOZE_FAILURES = 1_000_000;

/**
 * What a snooze waits for: exactly one of an instant, a number of hours from now, a number of
 * further failures, or escalation. Shared by POST /api/incidents/{id}/snooze and bulk snooze.
 */
export const snoozeConditionSchema = z
  .object(
    {
      until: z
        .string({ message: "must be an ISO 8601 date-time" })
        .refine(isIsoDateTime, "must be an ISO 8601 date-time")
        .optional(),
      hours: z
        .number({ message: `must be a whole number of hours, 1–${MAX_SNOOZE_HOURS}` })
        .int(`must be a whole number of hours, 1–${MAX_SNOOZE_HOURS}`)
        .min(1, `must be 1–${MAX_SNOOZE_HOURS}`)
        .max(MAX_SNOOZE_HOURS, `must be 1–${MAX_SNOOZE_HOURS}`)
        .optional(),
      failures: z
        .number({ message: `must be a whole number of failures, 1–${MAX_SNOOZE_FAILURES}` })
        .int(`must be a whole number of failures, 1–${MAX_SNOOZE_FAILURES}`)
        .min(1, `must be 1–${MAX_SNOOZE_FAILURES}`)
        .max(MAX_SNOOZE_FAILURES, `must be 1–${MAX_SNOOZE_FAILURES}`)
        .optional(),
      untilEscalating: z.literal(true, { message: "must be true" }).optional(),
    },
    { message: "must be an object" },
  )
  .refine((s) => [s.until, s.hours, s.failures, s.untilEscalating].filter((v) => v !== undefined).length === 1, {
    message: "give exactly one of until, hours, failures, untilEscalating",
    path: ["until"],
  });
export type SnoozeInput = z.output<typeof snoozeConditionSchema>;

/** The stored condition of a validated snooze; an `until` that is not in the future is refused. */
export function snoozeCondition(input: SnoozeInput, now: number, path = "until"): SnoozeCondition {
  if (input.until !== undefined) {
    const until = Date.parse(input.until);
    if (until <= now) throw new InvalidInputError(`${path} must be in the future`, [{ path, message: "must be in the future" }], "invalid_input");
    if (until > now + MAX_SNOOZE_HOURS * HOUR_MS) throw new InvalidInputError(`${path} must be within a year`, [{ path, message: "must be within a year" }], "invalid_input");
    return { until, failures: null, untilEscalating: false };
  }
  if (input.hours !== undefined) return { until: now + input.hours * HOUR_MS, failures: null, untilEscalating: false };
  if (input.failures !== undefined) return { until: null, failures: input.failures, untilEscalating: false };
  return { until: null, failures: null, untilEscalating: true };
}

const idAndNoteSchema = z.object({ id: incidentIdSchema, note: noteSchema });

/**
 * open | acknowledged → snoozed: out of "Needs attention" until the condition is met, then back
 * to open by itself (lib/incidents/lifecycle.ts for time, lib/incidents/at-ingest.ts for failures
 * and escalation). Body: exactly one of {"until"}, {"hours"}, {"failures"}, {"untilEscalating": true}, plus {"note"?}.
 */
export async function snoozeIncident(id: unknown, body: unknown, by: ActingUser, now = Date.now()): Promise<IncidentItem> {
  const { note, ...condition } = (body ?? {}) as Record<string, unknown>;
  const input = parseInput(idAndNoteSchema, { id, note });
  const snooze = snoozeCondition(parseInput(snoozeConditionSchema, condition), now);
  return takeAction("snooze", input.id, { note: input.note, snooze }, by, now);
}
