import { HOUR_MS } from "@/lib/time/zoned";

/**
 * Reasons that clear on WhatsApp's rolling 24 h window (tier capacity and rate limits): a retry
 * before the failure is 24 h old would most likely fail the same way.
 */
const ROLLING_WINDOW_REASONS: Record<string, number> = {
  FAILURE_BY_TIER_CAPACITY: 24 * HOUR_MS,
  FAILURE_BY_RATE_LIMIT: 24 * HOUR_MS,
  COMPANY_RATE_LIMIT: 24 * HOUR_MS,
  FAILURE_BY_SPAM_RATE_LIMIT: 24 * HOUR_MS,
};

/** The earliest time (ms) a retry of a failure can work; `now` when nothing speaks against it. */
export function earliestRetryAt(reason: string, failedAt: number, now: number): number {
  const wait = ROLLING_WINDOW_REASONS[reason];
  return wait === undefined ? now : Math.max(now, failedAt + wait);
}

export type SendAt = { kind: "now" } | { kind: "earliest" } | { kind: "at"; at: number };

/** `deployment_eta` (unix seconds) of one contact, or null for "as soon as Treble can". */
export function etaFor(sendAt: SendAt, reason: string, failedAt: number, now: number): number | null {
  if (sendAt.kind === "now") return null;
  const at = sendAt.kind === "at" ? sendAt.at : earliestRetryAt(reason, failedAt, now);
  return at > now ? Math.ceil(at / 1000) : null;
}
