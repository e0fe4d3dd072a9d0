import type { Rng } from "./rng";
import { DAY_MS, HOUR_MS, LINES, pickWeighted, type Campaign, type Line } from "./world";

/**
 * When things happen: the daily and weekly rhythm of a Latin-American company's sends, and the
 * incidents that make a dashboard worth watching (a template disabled by Meta mid-campaign, a line
 * out of tier capacity, a line restricted for spam).
 */

/** America/Bogota is UTC-5 all year (no daylight saving time), so a fixed offset is exact. */
const BOGOTA_OFFSET_MS = -5 * HOUR_MS;

/** Relative sending volume per local hour: campaigns go out in business hours, little at night. */
const HOURLY = [
  0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.4, 0.8, 1.0, 1.0, 0.95, 0.75, 0.7, 0.9, 1.0, 0.95, 0.85, 0.6, 0.45, 0.35,
  0.25, 0.15, 0.08,
];
/** Sunday … Saturday: weekend campaigns are rare. */
const WEEKDAY = [0.25, 1.0, 1.05, 1.0, 1.0, 0.95, 0.5];

export function bogotaHour(ms: number): number {
  return new Date(ms + BOGOTA_OFFSET_MS).getUTCHours();
}

export function bogotaWeekday(ms: number): number {
  return new Date(ms + BOGOTA_OFFSET_MS).getUTCDay();
}

/** Expected traffic at `ms` relative to a weekday business hour (≈ 1). */
export function rhythm(ms: number): number {
  return HOURLY[bogotaHour(ms)]! * WEEKDAY[bogotaWeekday(ms)]!;
}

export type Incident =
  | { kind: "template_disabled"; template: string; start: number; end: number }
  | { kind: "tier_capacity"; line: Line; start: number; end: number }
  | { kind: "spam_restricted"; line: Line; start: number; end: number };

/**
 * Share of all traffic at `ms` that this incident's failures make up: a burst when it starts
 * that tails off (senders notice and pause) until it ends.
 */
export function incidentShare(incident: Incident, ms: number): number {
  if (ms < incident.start || ms >= incident.end) return 0;
  const progress = (ms - incident.start) / (incident.end - incident.start);
  switch (incident.kind) {
    case "template_disabled":
      return 0.08 + 0.32 * Math.exp(-progress * 5);
    case "tier_capacity":
      // The tier's 24 h window refills gradually: a plateau that eases off.
      return 0.45 * (1 - 0.6 * progress);
    case "spam_restricted":
      return 0.05 + 0.25 * Math.exp(-progress * 3);
  }
}

/** Moves `ms` forward to the next weekday business hour in Bogota (incidents start when sends do). */
function nextBusinessHour(ms: number): number {
  let t = ms;
  for (let i = 0; i < 24 * 8 && !(bogotaWeekday(t) >= 1 && bogotaWeekday(t) <= 5 && bogotaHour(t) >= 9 && bogotaHour(t) < 17); i++) {
    t += HOUR_MS;
  }
  return t;
}

/** A live run (minutes): one incident of each kind, squeezed into the run so all are visible. */
function planLiveIncidents(rng: Rng, campaigns: readonly Campaign[], start: number, end: number): Incident[] {
  const at = (fraction: number) => start + Math.round((end - start) * fraction);
  const campaign = pickWeighted(rng, campaigns);
  const lines = rng.shuffle(LINES);
  return [
    { kind: "template_disabled", template: campaign.template.name, start: at(0.2), end: at(0.7) },
    { kind: "tier_capacity", line: lines[0]!, start: at(0.35), end: at(0.6) },
    { kind: "spam_restricted", line: lines[1]!, start: at(0.75), end: at(0.95) },
  ];
}

/** History (days to months): incidents at realistic frequency and durations. */
function planHistoryIncidents(rng: Rng, campaigns: readonly Campaign[], start: number, end: number): Incident[] {
  const days = (end - start) / DAY_MS;
  const incidents: Incident[] = [];
  const count = (everyDays: number) => Math.max(1, Math.round(days / everyDays));

  for (let i = 0; i < count(15); i++) {
    const campaign = pickWeighted(rng, campaigns);
    const from = nextBusinessHour(rng.between(campaign.start, Math.min(campaign.end, end - 2 * HOUR_MS)));
    // Resubmission and re-approval by Meta takes from hours to a few days.
    const to = from + rng.between(4, 72) * HOUR_MS;
    const template = campaign.template.name;
    // A template already disabled cannot be disabled again: its statuses must alternate.
    const overlaps = incidents.some((x) => x.kind === "template_disabled" && x.template === template && x.start < to && from < x.end);
    if (!overlaps) incidents.push({ kind: "template_disabled", template, start: from, end: to });
  }
  for (let i = 0; i < count(6); i++) {
    // The smallest line (last) hits its tier most often.
    const line = rng.chance(0.5) ? LINES[LINES.length - 1]! : rng.pick(LINES);
    const from = nextBusinessHour(rng.between(start, end - 6 * HOUR_MS));
    incidents.push({ kind: "tier_capacity", line, start: from, end: from + rng.between(1, 5) * HOUR_MS });
  }
  for (let i = 0; i < count(35); i++) {
    const from = nextBusinessHour(rng.between(start, end - DAY_MS));
    incidents.push({ kind: "spam_restricted", line: rng.pick(LINES), start: from, end: from + rng.between(12, 48) * HOUR_MS });
  }
  // Moving a start to business hours can push it past the window's end.
  return incidents.filter((i) => i.start < end).sort((a, b) => a.start - b.start);
}

export function planIncidents(rng: Rng, campaigns: readonly Campaign[], start: number, end: number): Incident[] {
  return end - start < 2 * DAY_MS ? planLiveIncidents(rng, campaigns, start, end) : planHistoryIncidents(rng, campaigns, start, end);
}

export interface ScheduledStatus {
  at: number;
  template: string;
  status: "DISABLED" | "APPROVED";
}

/** The hsm.status events the incidents imply: DISABLED when one starts, APPROVED when it ends. */
export function statusSchedule(incidents: readonly Incident[], end: number): ScheduledStatus[] {
  const out: ScheduledStatus[] = [];
  for (const incident of incidents) {
    if (incident.kind !== "template_disabled") continue;
    out.push({ at: incident.start, template: incident.template, status: "DISABLED" });
    // An approval after the window has not happened yet: the template is still disabled "now".
    if (incident.end < end) out.push({ at: incident.end, template: incident.template, status: "APPROVED" });
  }
  return out.sort((a, b) => a.at - b.at);
}

const BUCKET_MS = 10 * 60_000;

/**
 * `count` event times in [start, end), ascending, following the rhythm, a slow growth of the
 * business, day-to-day noise and the extra volume of incidents. Stratified inverse-CDF sampling
 * gives exactly `count` times in one pass without sorting.
 */
export function* historyTimes(rng: Rng, start: number, end: number, count: number, incidents: readonly Incident[]): Generator<number> {
  const buckets = Math.max(1, Math.ceil((end - start) / BUCKET_MS));
  const cumulative = new Float64Array(buckets);
  const dayNoise = new Map<number, number>();
  let total = 0;
  for (let b = 0; b < buckets; b++) {
    const mid = start + (b + 0.5) * BUCKET_MS;
    const day = Math.floor(mid / DAY_MS);
    if (!dayNoise.has(day)) dayNoise.set(day, rng.between(0.75, 1.25));
    const growth = 0.75 + 0.25 * ((mid - start) / (end - start));
    // Incident failures come on top of normal traffic: volume / (1 - their share).
    const share = Math.min(0.8, incidents.reduce((sum, i) => sum + incidentShare(i, mid), 0));
    total += (rhythm(mid) * growth * dayNoise.get(day)!) / (1 - share);
    cumulative[b] = total;
  }
  let bucket = 0;
  for (let i = 0; i < count; i++) {
    const target = ((i + rng.next()) / count) * total;
    while (bucket < buckets - 1 && cumulative[bucket]! <= target) bucket++;
    const before = bucket === 0 ? 0 : cumulative[bucket - 1]!;
    const within = (target - before) / (cumulative[bucket]! - before);
    yield Math.min(end - 1, Math.floor(start + (bucket + within) * BUCKET_MS));
  }
}
