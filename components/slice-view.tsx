"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useFormatter, useTranslations } from "next-intl";
import { BreakdownBars, type BarRow } from "@/components/charts/breakdown-bars";
import { TimelineChart, type TimelineMarker } from "@/components/charts/timeline-chart";
import { FailuresTable } from "@/components/failures/failures-table";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { contactsShown } from "@/lib/charts/contacts-shown";
import { Card, CardTitle } from "@/components/ui/card";
import { useReasonText } from "@/components/use-reason-text";
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
  const t = useTranslations("slice");
  const tChart = useTranslations("charts");
  const format = useFormatter();
  const reasonText = useReasonText();
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
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-[2fr_1fr]">
          <Card>
            <CardTitle>
              {t("trend")}{" "}
              <span className="text-xs font-normal text-muted-foreground">
                {t("summary", { failures: stats.data.total, contacts: contactsShown(stats.data, (n) => format.number(n)), unit: stats.data.bucketUnit, tz: stats.data.window.tz })}
              </span>
            </CardTitle>
            <TimelineChart
              rows={shapeTimeline(stats.data.timeline, stats.data.window, stats.data.window.tz, stats.data.bucketUnit)}
              markers={markers}
              onSelect={(row, series) =>
                router.push(drillHref("/failures", { ...sliceFilters, tz }, stats.data.window, { from: row.from, to: row.to, ...(series === "unrecognised" ? {} : { class: [series] }) }))
              }
            />
          </Card>
          <Card>
            <CardTitle>{t("byReason")}</CardTitle>
            <BreakdownBars
              testId="slice-bars-reason"
              rows={topN(stats.data.byReason, 18, (r) => r.reason, (r) => r.count, (key) => reasonText.label(key ?? ""), (count) => tChart("other", { count })).map(
                (row): BarRow => ({ ...row, color: SERIES_COLORS[stats.data.byReason.find((r) => r.reason === row.key)?.reasonClass ?? "unrecognised"] }),
              )}
              onSelect={(row) => router.push(drillHref("/failures", { ...sliceFilters, tz }, stats.data.window, { reason: [row.key ?? ""] }))}
            />
          </Card>
        </div>
      )}
      <h2 className="mt-5 mb-2.5 text-base font-semibold">{t("failures")}</h2>
      <FailuresTable serverTz={serverTz} fixed={fixed} />
    </>
  );
}
