/**
 * Escalation, after Sentry's published method on hourly counts (no server code here):
 * - an incident with at least 7 days of history escalates when its current hour's failures exceed
 *   min(max((avg + 5σ) / avg, 5), 8) × avg of its hourly counts over the previous 7 days
 *   (168 hours, quiet hours counting as 0), and reach at least 20;
 * - a younger one when they exceed 10× its busiest earlier hour, and reach at least 20;
 * - one with no earlier failures at all is new, not escalating.
 * The threshold is computed once per incident and hour, when its first failure of that hour
 * arrives (lib/incidents/at-ingest.ts), from the kept hourly counts (incident_hours), so each
 * further failure is one comparison.
 */
export const HOUR_MS = 3_600_000;
export const HISTORY_HOURS = 168;
export const ESCALATION_MIN_FAILURES = 20;
const YOUNG_MULTIPLIER = 10;

export const hourOf = (ms: number) => ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);

/**
 * The count an hour's failures must exceed to escalate, given the counts of the hours before it
 * (`earlier`, the previous HISTORY_HOURS hours, oldest first; missing hours are 0) and whether the
 * incident was first seen at least HISTORY_HOURS before that hour. Null: it cannot escalate.
 */
export function escalationThreshold(earlier: readonly number[], hasFullHistory: boolean): number | null {
  if (hasFullHistory) {
    const counts = Array.from({ length: HISTORY_HOURS }, (_, i) => earlier[earlier.length - HISTORY_HOURS + i] ?? 0);
    const avg = counts.reduce((a, b) => a + b, 0) / HISTORY_HOURS;
    // A week without failures: any hour reaching the minimum is a burst.
    if (avg === 0) return 0;
    const sigma = Math.sqrt(counts.reduce((a, c) => a + (c - avg) ** 2, 0) / HISTORY_HOURS);
    return Math.min(Math.max((avg + 5 * sigma) / avg, 5), 8) * avg;
  }
  const busiest = earlier.reduce((a, b) => Math.max(a, b), 0);
  return busiest === 0 ? null : YOUNG_MULTIPLIER * busiest;
}

/** Whether an hour with `failures` escalates against `threshold`. */
export function exceedsThreshold(failures: number, threshold: number | null): boolean {
  return threshold !== null && failures > threshold && failures >= ESCALATION_MIN_FAILURES;
}
