"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { BreakdownBars, type BarRow } from "@/components/charts/breakdown-bars";
import { TimelineChart } from "@/components/charts/timeline-chart";
import { ContactListButtons } from "@/components/export/contact-list-buttons";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import { drillHref } from "@/lib/charts/drilldown";
import { formatChange, SERIES_COLORS, shapeTimeline, topN } from "@/lib/charts/shape";
import { UNKNOWN } from "@/lib/filters";
import type { LabelledStats } from "@/lib/lines/labels";
import { lineText } from "@/lib/phone-format";
import { statsQueryKey } from "@/lib/query-keys";
import { formatInTimeZone } from "@/lib/time/format";

/** How often the overview refreshes itself (paused while the tab is hidden). */
export const LIVE_REFRESH_MS = 10_000;

const fmt = (n: number) => n.toLocaleString("en-US");

export function Overview({ serverTz, openedAtFailureId }: { serverTz: string; openedAtFailureId: number }) {
  const router = useRouter();
  const { filters, tz, queryString } = useFilters(serverTz);
  const [topCount, setTopCount] = useState(8);
  const stats = useQuery({
    queryKey: statsQueryKey(queryString, openedAtFailureId),
    queryFn: () => fetchJson<LabelledStats>(`/api/stats?${queryString}&afterId=${openedAtFailureId}`),
    refetchInterval: LIVE_REFRESH_MS,
    refetchIntervalInBackground: false,
    placeholderData: (previous) => previous,
  });

  if (stats.isPending) {
    return (
      <div data-testid="overview-loading">
        <div className="tiles">
          {[0, 1, 2, 3, 4].map((i) => (
            <Skeleton key={i} height={84} />
          ))}
        </div>
        <Skeleton height={260} label="Loading timeline" />
      </div>
    );
  }
  if (stats.isError) return <QueryError error={stats.error} onRetry={() => void stats.refetch()} what="the overview" />;

  const data = stats.data;
  const current = { ...filters, tz };
  const href = (drill: Parameters<typeof drillHref>[3], path = "/failures") => drillHref(path, current, data.window, drill);
  const timelineRows = shapeTimeline(data.timeline, data.window, data.window.tz, data.bucketUnit);
  const topReason = data.byReason[0];

  const reasonBars: BarRow[] = topN(data.byReason, topCount, (r) => r.reason, (r) => r.count, (key) => {
    const r = data.byReason.find((x) => x.reason === key);
    return r ? `${r.label}` : String(key);
  }).map((row) => ({
    ...row,
    color: row.isOther ? "#b8c0cc" : SERIES_COLORS[data.byReason.find((r) => r.reason === row.key)?.reasonClass ?? "unrecognised"],
  }));
  const lineBars: BarRow[] = topN(data.byLine, topCount, (l) => l.line, (l) => l.count, (key) => lineText(key, data.byLine.find((l) => l.line === key)?.label)).map((row) => ({
    ...row,
    color: row.isOther ? "#b8c0cc" : "#2f5bea",
  }));
  const templateBars: BarRow[] = topN(data.byTemplate, topCount, (t) => t.template, (t) => t.count, (key) => key ?? "unknown").map(
    (row) => ({ ...row, color: row.isOther ? "#b8c0cc" : "#1f8a70" }),
  );

  return (
    <div data-testid="overview">
      <div className="live-status muted" data-testid="live-status">
        {stats.isFetching ? "Refreshing…" : `Updated ${formatInTimeZone(stats.dataUpdatedAt, tz, "full")} (${tz})`} · refreshes every{" "}
        {LIVE_REFRESH_MS / 1000} s
        {data.newSinceAfterId ? (
          <button type="button" className="new-badge" data-testid="new-since-open" onClick={() => router.refresh()}>
            {fmt(data.newSinceAfterId)} new since you opened
          </button>
        ) : null}
      </div>
      <div className="tiles">
        <Link className="tile" href={href({})} data-testid="tile-failures">
          <div className="label">Failures in range</div>
          <div className="value">{fmt(data.total)}</div>
        </Link>
        <Link className="tile" href={href({})} data-testid="tile-contacts">
          <div className="label">Affected contacts</div>
          <div className="value" title={data.contactsApproximate ? "Estimated (±3%) from contact sketches" : undefined}>
            {data.contactsApproximate ? "≈ " : ""}
            {fmt(data.contacts)}
          </div>
        </Link>
        <div className="tile" data-testid="tile-change">
          <div className="label">vs previous period</div>
          <div className={`value ${data.changePct === null || data.changePct === 0 ? "" : data.changePct > 0 ? "up" : "down"}`}>{formatChange(data.changePct)}</div>
          <div className="muted small">{fmt(data.previousTotal)} before</div>
        </div>
        <Link className="tile" href={href({ status: ["open"] }, "/incidents")} data-testid="tile-open-incidents">
          <div className="label">Open incidents</div>
          <div className="value">{fmt(data.openIncidents)}</div>
        </Link>
        {topReason ? (
          <Link className="tile" href={href({ reason: [topReason.reason] })} data-testid="tile-top-reason">
            <div className="label">Top reason</div>
            <div className="value small-value">{topReason.label}</div>
            <div className="muted small">
              {fmt(topReason.count)} · {data.total ? Math.round((topReason.count / data.total) * 100) : 0}%
            </div>
          </Link>
        ) : (
          <div className="tile" data-testid="tile-top-reason">
            <div className="label">Top reason</div>
            <div className="value small-value">—</div>
          </div>
        )}
      </div>

      <ContactListButtons queryString={queryString} />

      <section className="panel">
        <h2>
          Failures over time <span className="muted small">per {data.bucketUnit}, {data.window.tz}</span>
        </h2>
        {data.total === 0 ? (
          <p className="muted" data-testid="no-failures-in-range">
            No failures in this range with these filters.
          </p>
        ) : (
          <TimelineChart
            rows={timelineRows}
            onSelect={(row, series) =>
              router.push(
                href(
                  series === "unrecognised"
                    ? { from: row.from, to: row.to, reason: row.reasons.filter((r) => !SERIES_COLORS[r.reason as never]).map((r) => r.reason) }
                    : { from: row.from, to: row.to, class: [series] },
                ),
              )
            }
          />
        )}
      </section>

      <div className="breakdowns">
        <label className="muted small top-n">
          Show top{" "}
          <select value={topCount} onChange={(e) => setTopCount(Number(e.target.value))} aria-label="Top N">
            {[5, 8, 10, 15, 25].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <section className="panel">
          <h2>By reason</h2>
          <BreakdownBars testId="bars-reason" rows={reasonBars} onSelect={(row) => router.push(href({ reason: [row.key ?? ""] }))} />
        </section>
        <section className="panel">
          <h2>By line</h2>
          <BreakdownBars testId="bars-line" rows={lineBars} onSelect={(row) => router.push(href({ line: [row.key ?? UNKNOWN] }))} />
        </section>
        <section className="panel">
          <h2>By template</h2>
          <BreakdownBars
            testId="bars-template"
            rows={templateBars}
            onSelect={(row) => router.push(href({ template: [row.key ?? UNKNOWN] }))}
          />
        </section>
      </div>
    </div>
  );
}
