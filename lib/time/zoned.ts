/**
 * Time-zone arithmetic on UTC epoch milliseconds, with Intl only (no tz database of our own).
 * Used to cut timelines into local minutes, hours and days.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Formatters by resolved zone name ("america/bogota" and "America/Bogota" share one), and spellings
 * by what they resolve to. Both are bounded: a zone comes from the query string, and a client
 * sending endless spellings of one zone must not grow them without end (each map is emptied when
 * full; IANA has about 600 zone names).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const resolvedZones = new Map<string, string>();
export const ZONE_CACHE_LIMIT = 1_000;

function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= ZONE_CACHE_LIMIT) map.clear();
  map.set(key, value);
  return value;
}

/** The canonical name of `tz` ("America/Bogota" for "america/bogota"); RangeError when unknown. */
function resolveZone(tz: string): string {
  return resolvedZones.get(tz) ?? remember(resolvedZones, tz, new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone);
}

function formatter(tz: string): Intl.DateTimeFormat {
  const zone = resolveZone(tz);
  const cached = formatters.get(zone);
  if (cached) return cached;
  const created = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  return remember(formatters, zone, created);
}

/** How many formatters and zone spellings are cached (each at most ZONE_CACHE_LIMIT). */
export function zoneCacheSizes(): { formatters: number; spellings: number } {
  return { formatters: formatters.size, spellings: resolvedZones.size };
}

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(tz: string, instant: number): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(instant))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Zone offsets change only on quarter-hour instants, so one lookup per quarter hour is exact. */
const OFFSET_SLOT_MS = 15 * 60_000;
const offsetCache = new Map<string, number>();
const OFFSET_CACHE_LIMIT = 50_000;

/** Offset of local time from UTC at `instant`, in ms (e.g. -5 h for America/Bogota). */
export function tzOffsetMs(tz: string, instant: number): number {
  const key = `${resolveZone(tz)}|${Math.floor(instant / OFFSET_SLOT_MS)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const p = localParts(tz, instant);
  const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
  if (offsetCache.size >= OFFSET_CACHE_LIMIT) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/**
 * The instant at which the local wall-clock time y-m-d h:m occurs in `tz`: the first one on DST
 * overlaps; for a time skipped by a DST gap, the same time in the offset before the gap (so the
 * skipped midnight of a zone like America/Santiago maps to the instant the day starts).
 */
export function zonedTimeToUtc(tz: string, year: number, month: number, day: number, hour = 0, minute = 0): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  // The offsets a day either side bracket any transition near the wall time.
  const before = tzOffsetMs(tz, guess - DAY_MS);
  const after = tzOffsetMs(tz, guess + DAY_MS);
  const early = guess - before;
  if (before === after) return early;
  const late = guess - after;
  const earlyValid = tzOffsetMs(tz, early) === before;
  const lateValid = tzOffsetMs(tz, late) === after;
  if (earlyValid && lateValid) return Math.min(early, late);
  if (lateValid) return late;
  return early;
}

export type BucketUnit = "minute" | "hour" | "day";

/** Start of the local bucket containing `instant`. */
export function bucketStart(tz: string, unit: BucketUnit, instant: number): number {
  const offset = tzOffsetMs(tz, instant);
  if (unit === "minute") return instant - (((instant + offset) % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
  if (unit === "hour") return instant - (((instant + offset) % HOUR_MS) + HOUR_MS) % HOUR_MS;
  const p = localParts(tz, instant);
  return zonedTimeToUtc(tz, p.year, p.month, p.day);
}

/** Start of the next local bucket after the one starting at `start`. */
export function nextBucket(tz: string, unit: BucketUnit, start: number): number {
  if (unit === "minute") return start + MINUTE_MS;
  if (unit === "hour") return start + HOUR_MS;
  const p = localParts(tz, start + 12 * HOUR_MS);
  return zonedTimeToUtc(tz, p.year, p.month, p.day + 1);
}

/** Every local bucket start overlapping [from, to). */
export function bucketStarts(tz: string, unit: BucketUnit, from: number, to: number): number[] {
  const starts: number[] = [];
  for (let b = bucketStart(tz, unit, from); b < to; b = nextBucket(tz, unit, b)) starts.push(b);
  return starts;
}

/** Whether every local hour in [from, to) starts on a UTC hour (false for e.g. Asia/Kolkata). */
export function hoursAlignWithUtc(tz: string, from: number, to: number): boolean {
  return offsetsAlignTo(HOUR_MS, tz, from, to);
}

export const QUARTER_HOUR_MS = 15 * MINUTE_MS;

/** Whether local bucket edges in [from, to) fall on UTC multiples of `grain` (quarter hours: every zone in use, Asia/Kolkata and Asia/Kathmandu included). */
export function offsetsAlignTo(grain: number, tz: string, from: number, to: number): boolean {
  return tzOffsetMs(tz, from) % grain === 0 && tzOffsetMs(tz, to) % grain === 0;
}
