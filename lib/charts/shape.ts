import type { TimelinePoint } from "@/lib/queries/stats";
import { REASON_CLASSES, reasonInfo, type ReasonClass } from "@/lib/reasons";
import { formatInTimeZone } from "@/lib/time/format";
import type { BucketUnit } from "@/lib/time/zoned";

/** Chart series: the four reason classes plus reasons outside the catalogue. */
export const SERIES = [...REASON_CLASSES, "unrecognised"] as const;
export type Series = (typeof SERIES)[number];

export const seriesOf = (reason: string): Series => reasonInfo(reason)?.reasonClass ?? "unrecognised";

export interface TimelineRow extends Record<Series, number> {
  label: string;
  /** The bucket's slice of the window (ISO, UTC), clamped to the window so drill-down counts match. */
  from: string;
  to: string;
  total: number;
  /** Reasons in the bucket, most first. */
  reasons: Array<{ reason: string; count: number }>;
}

/** Timeline points → stacked rows by reason class, with each bucket's exact [from, to). */
export function shapeTimeline(points: TimelinePoint[], window: { from: string; to: string }, tz: string, unit: BucketUnit): TimelineRow[] {
  const windowFrom = Date.parse(window.from);
  const windowTo = Date.parse(window.to);
  return points.map((point, i) => {
    const start = Date.parse(point.bucket);
    const next = points[i + 1];
    const end = next ? Date.parse(next.bucket) : windowTo;
    const row: TimelineRow = {
      label: formatInTimeZone(start, tz, unit),
      from: new Date(Math.max(start, windowFrom)).toISOString(),
      to: new Date(Math.min(end, windowTo)).toISOString(),
      total: 0,
      reasons: [],
      retry_later: 0,
      fix_then_retry: 0,
      do_not_contact: 0,
      no_action: 0,
      unrecognised: 0,
    };
    for (const [reason, count] of Object.entries(point.counts)) {
      row[seriesOf(reason)] += count;
      row.total += count;
      row.reasons.push({ reason, count });
    }
    row.reasons.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
    return row;
  });
}

export interface TopNRow {
  key: string | null;
  label: string;
  count: number;
  /** True for the bar that sums everything beyond the top N. */
  isOther: boolean;
}

/**
 * The N largest items and one "other" bar summing the rest (left out when nothing remains);
 * `otherLabel` names that bar from how many items it sums.
 */
export function topN<T>(
  items: T[],
  n: number,
  keyOf: (item: T) => string | null,
  countOf: (item: T) => number,
  labelOf: (key: string | null) => string,
  otherLabel: (hidden: number) => string = (hidden) => `Other (${hidden})`,
): TopNRow[] {
  const sorted = [...items].sort((a, b) => countOf(b) - countOf(a));
  const rows: TopNRow[] = sorted.slice(0, n).map((item) => ({ key: keyOf(item), label: labelOf(keyOf(item)), count: countOf(item), isOther: false }));
  const rest = sorted.slice(n);
  if (rest.length) {
    rows.push({ key: null, label: otherLabel(rest.length), count: rest.reduce((sum, item) => sum + countOf(item), 0), isOther: true });
  }
  return rows;
}


export const SERIES_COLORS: Record<Series | ReasonClass, string> = {
  // CSS variables from app/globals.css, so the colours follow light and dark mode.
  retry_later: "var(--retry_later)",
  fix_then_retry: "var(--fix_then_retry)",
  do_not_contact: "var(--do_not_contact)",
  no_action: "var(--no_action)",
  unrecognised: "var(--unknown)",
};

