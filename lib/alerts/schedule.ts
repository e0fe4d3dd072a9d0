import { DAY_MS, localParts, MINUTE_MS, zonedTimeToUtc } from "@/lib/time/zoned";
import type { QuietHours } from "./rule-schema";

const HOUR = 60 * MINUTE_MS;

/** Waits before attempt 2, 3, …; past the list, every 6 h, until 24 h after the first attempt. */
export const RETRY_DELAYS_MS = [30_000, 2 * MINUTE_MS, 10 * MINUTE_MS, HOUR, 3 * HOUR, 6 * HOUR] as const;
export const GIVE_UP_AFTER_MS = 24 * HOUR;
/** A Retry-After longer than this is not waited for: the regular schedule caps it. */
const MAX_RETRY_AFTER_MS = 6 * HOUR;

/**
 * When to try again after `attempts` failed attempts (the first made at `firstAttemptAt`), or
 * null when the 24 h are up. A receiver's Retry-After is honoured when it asks for longer.
 */
export function nextRetryAt(attempts: number, firstAttemptAt: number, now: number, retryAfterMs: number | null): number | null {
  const delay = RETRY_DELAYS_MS[attempts - 1] ?? 6 * HOUR;
  const wanted = now + Math.max(delay, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
  if (wanted - firstAttemptAt > GIVE_UP_AFTER_MS) return null;
  return wanted;
}

/** Retry-After as delta-seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** The instant a local wall-clock time (HH:MM) next occurs at or after `from`'s local day. */
function localClockOn(tz: string, instant: number, clock: string, dayOffset: number): number {
  const p = localParts(tz, instant + dayOffset * DAY_MS);
  return zonedTimeToUtc(tz, p.year, p.month, p.day, Math.floor(minutesOf(clock) / 60), minutesOf(clock) % 60);
}

/** When the quiet hours that contain `now` end; null when `now` is outside them. */
export function quietHoursEnd(quiet: QuietHours | null, now: number): number | null {
  if (!quiet) return null;
  const p = localParts(quiet.tz, now);
  const local = p.hour * 60 + p.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const inside = start < end ? local >= start && local < end : local >= start || local < end;
  if (!inside) return null;
  // The end is today (local) if it is still ahead, else tomorrow.
  const today = localClockOn(quiet.tz, now, quiet.end, 0);
  return today > now ? today : localClockOn(quiet.tz, now, quiet.end, 1);
}

/** The latest scheduled digest instant at or before `now` (daily at `time` in `tz`). */
export function lastDigestTime(digest: { time: string; tz: string }, now: number): number {
  const today = localClockOn(digest.tz, now, digest.time, 0);
  return today <= now ? today : localClockOn(digest.tz, now, digest.time, -1);
}
