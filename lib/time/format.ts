import { localParts, zonedTimeToUtc, type BucketUnit } from "./zoned";

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A UTC instant as local wall-clock text in `tz`:
 * "full" 2026-11-25 09:02:03, "input" 2026-11-25T09:02 (for datetime-local inputs),
 * or a bucket label for charts.
 */
export function formatInTimeZone(instant: number, tz: string, style: "full" | "input" | BucketUnit): string {
  const p = localParts(tz, instant);
  const date = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  switch (style) {
    case "full":
      return `${date} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
    case "input":
      return `${date}T${pad(p.hour)}:${pad(p.minute)}`;
    case "day":
      return date.slice(5);
    case "hour":
      return `${date.slice(5)} ${pad(p.hour)}:00`;
    case "minute":
      return `${pad(p.hour)}:${pad(p.minute)}`;
  }
}

/** A datetime-local input value (wall clock in `tz`) as an ISO 8601 UTC instant. */
export function localInputToIso(value: string, tz: string): string {
  const [date = "", time = "00:00"] = value.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [h, min] = time.split(":").map(Number);
  return new Date(zonedTimeToUtc(tz, y ?? 1970, m ?? 1, d ?? 1, h ?? 0, min ?? 0)).toISOString();
}
