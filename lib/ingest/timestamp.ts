import { InvalidInputError } from "@/lib/http/errors";

/** Accepted event times: 2000-01-01 … 2100-01-01 UTC. Anything else is a sender bug. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);
/** Below this a unix number is seconds (1e11 s is year 5138; 1e11 ms is 1973). */
const SECONDS_CUTOFF = 1e11;

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface EventTime {
  /** UTC epoch milliseconds. */
  ms: number;
  /** True when the event carried no time and the receipt time stands in for it. */
  fromReceipt: boolean;
}

function fromUnix(value: number, path: string): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(path, "must be a positive unix time");
  return Math.round(value < SECONDS_CUTOFF ? value * 1000 : value);
}

function fromIso(text: string, path: string): number {
  const m = ISO_8601.exec(text);
  if (!m) throw invalid(path, "must be ISO 8601 (e.g. 2026-11-25T14:02:00Z) or unix seconds/milliseconds");
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Math.round(Number(`0.${frac || "0"}`) * 1000);
  const local = Date.UTC(year, month - 1, day, hour, minute, second) + ms;
  const check = new Date(local - ms);
  // Date.UTC rolls 2026-02-30 over to March: reject dates that do not round-trip.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    throw invalid(path, "is not a real calendar date/time");
  }
  return local - zoneOffsetMs(zone);
}

/** Offset of a zone designator in ms; no designator means UTC. */
function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || "0");
  return sign * (hours * 60 + minutes) * 60_000;
}

function invalid(path: string, message: string) {
  return new InvalidInputError(`${path} ${message}`, [{ path, message }]);
}

/**
 * Parses an event timestamp: ISO 8601 with or without a zone (none = UTC), or unix seconds or
 * milliseconds as a number or numeric string. Missing (undefined/null/"") → the receipt time.
 */
export function parseEventTime(value: unknown, receivedAt: number, path = "timestamp"): EventTime {
  if (value === undefined || value === null || value === "") return { ms: receivedAt, fromReceipt: true };
  let ms: number;
  if (typeof value === "number") ms = fromUnix(value, path);
  else if (typeof value === "string") {
    const text = value.trim();
    ms = /^\d+(\.\d+)?$/.test(text) ? fromUnix(Number(text), path) : fromIso(text, path);
  } else throw invalid(path, "must be a string or a number");
  if (ms < MIN_MS || ms >= MAX_MS) throw invalid(path, "is outside 2000-01-01 … 2100-01-01");
  return { ms, fromReceipt: false };
}
