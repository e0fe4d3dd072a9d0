"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { BreakdownBars, type BarRow } from "@/components/charts/breakdown-bars";
import { TimelineChart, type TimelineMarker } from "@/components/charts/timeline-chart";
import { FailuresTable } from "@/components/failures/failures-table";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import { drillHref } from "@/lib/charts/drilldown";
import { SERIES_COLORS, shapeTimeline, topN } from "@/lib/charts/shape";
import { filtersToSearchParams, type Filters } from "@/lib/filters";
import type { Stats } from "@/lib/queries/stats";
import { statsQueryKey } from "@/lib/query-keys";

/**
 * One slice of failures (a line, a template, an incident): its trend, its reasons, and its
 * failures table, under the shared filters plus the slice's own fixed ones.
 */
export function SliceView({ serverTz, fixed, markers = [] }: { serverTz: string; fixed: Partial<Filters>; markers?: TimelineMarker[] }) {
  const router = useRouter();
  const { filters, tz } = useFilters(serverTz);
  const sliceFilters = { ...filters, ...fixed };
  const queryString = filtersToSearchParams({ ...sliceFilters, tz }).toString();
  const stats = useQuery({
    queryKey: statsQueryKey(queryString, null),
    queryFn: () => fetchJson<Stats>(`/api/stats?${queryString}`),
    refetchInterval: 10_000,
  });
  return (
    <>
      {stats.isPending ? (
        <Skeleton height={300} what="trend" />
      ) : stats.isError ? (
        <QueryError error={stats.error} onRetry={() => void stats.refetch()} what="trend" />
      ) : (
        <div className="slice-summary">
          <section className="panel">
            <h2>
              Trend <span className="muted small">{stats.data.total.toLocaleString("en-US")} failures · {stats.data.contacts.toLocaleString("en-US")} contacts · per {stats.data.bucketUnit}, {stats.data.window.tz}</span>
            </h2>
            <TimelineChart
              rows={shapeTimeline(stats.data.timeline, stats.data.window, stats.data.window.tz, stats.data.bucketUnit)}
              markers={markers}
              onSelect={(row, series) =>
                router.push(drillHref("/failures", { ...sliceFilters, tz }, stats.data.window, { from: row.from, to: row.to, ...(series === "unrecognised" ? {} : { class: [series] }) }))
              }
            />
          </section>
          <section className="panel">
            <h2>By reason</h2>
            <BreakdownBars
              testId="slice-bars-reason"
              rows={topN(stats.data.byReason, 18, (r) => r.reason, (r) => r.count, (key) => stats.data.byReason.find((r) => r.reason === key)?.label ?? String(key)).map(
                (row): BarRow => ({ ...row, color: SERIES_COLORS[stats.data.byReason.find((r) => r.reason === row.key)?.reasonClass ?? "unrecognised"] }),
              )}
              onSelect={(row) => router.push(drillHref("/failures", { ...sliceFilters, tz }, stats.data.window, { reason: [row.key ?? ""] }))}
            />
          </section>
        </div>
      )}
      <h2 className="section-title">Failures</h2>
      <FailuresTable serverTz={serverTz} fixed={fixed} />
    </>
  );
}
