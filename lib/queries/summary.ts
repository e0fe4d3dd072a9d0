import { getDb } from "@/db/client";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";

export interface ReasonCount {
  reason: string;
  label: string;
  reasonClass: ReasonClass | null;
  count: number;
}

export interface IngestSummary {
  events: number;
  failures: number;
  lastReceivedAt: number | null;
  byReason: ReasonCount[];
}

/** What has been received so far: totals and failures by reason, all time. */
export function getIngestSummary(): IngestSummary {
  const { sqlite } = getDb();
  const totals = sqlite
    .prepare("SELECT count(*) AS events, max(received_at) AS lastReceivedAt FROM raw_events")
    .get() as { events: number; lastReceivedAt: number | null };
  const rows = sqlite
    .prepare("SELECT reason, count(*) AS count FROM failures GROUP BY reason ORDER BY count DESC, reason")
    .all() as Array<{ reason: string; count: number }>;
  const byReason = rows.map(({ reason, count }) => {
    const info = reasonInfo(reason);
    return { reason, count, label: info?.label ?? "Unrecognised reason", reasonClass: info?.reasonClass ?? null };
  });
  return { ...totals, failures: byReason.reduce((sum, r) => sum + r.count, 0), byReason };
}
