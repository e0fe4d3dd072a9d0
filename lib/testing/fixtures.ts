/**
 * The 18 reasons of Treble's seed list, written out independently of lib/reasons.ts so tests
 * check the catalogue against the list rather than against itself.
 */
export const SEED_REASONS = [
  "FAILURE",
  "FAILURE_BY_HUMAN_HANDOVER",
  "REVOKED",
  "INVALID_PHONE",
  "FAILURE_BY_RATE_LIMIT",
  "COMPANY_RATE_LIMIT",
  "FAILURE_BY_TIER_CAPACITY",
  "MISSING_PARAMETER",
  "PARAMETER_MISMATCH",
  "FAILURE_BY_BLOCKED_CONTACT",
  "FAILURE_BY_OPTOUT_CONTACT",
  "INVALID_POLL",
  "CHARACTER_LIMIT_HEADER",
  "CHARACTER_LIMIT_BODY",
  "FAILURE_BY_DISABLED_HSM",
  "FAILURE_BY_SPAM_RATE_LIMIT",
  "FAILURE_BY_EXPERIMENT_NUMBER",
  "FAILURE_BY_UNABLE_TO_CONTACT",
] as const;

let counter = 0;

/** A unique event id for this test process. */
export function nextEventId(prefix = "evt"): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** A minimal valid deployment.failure event; `overrides` replace or add top-level fields. */
export function failureEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_type: "deployment.failure",
    event_id: nextEventId(),
    timestamp: "2026-11-25T14:02:00Z",
    failure_reason: "FAILURE_BY_TIER_CAPACITY",
    line: "+573001112233",
    hsm: { name: "welcome_v2" },
    user: { country_code: "57", cellphone: "3051234567" },
    poll_id: "poll-1",
    ...overrides,
  };
}
