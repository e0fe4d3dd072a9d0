"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useFormatter, useNow, useTranslations } from "next-intl";
import { useState } from "react";
import { BreakdownBars, type BarRow } from "@/components/charts/breakdown-bars";
import { TimelineChart } from "@/components/charts/timeline-chart";
import { contactsShown } from "@/lib/charts/contacts-shown";
import { CountAction, useCountOnDemand } from "@/components/count-on-demand";
import { ContactListButtons } from "@/components/export/contact-list-buttons";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { Card, CardTitle } from "@/components/ui/card";
import { NativeSelect } from "@/components/ui/input";
import { useReasonText } from "@/components/use-reason-text";
import { cn } from "@/lib/utils";
import { fetchJson } from "@/lib/api-client";
import { drillHref } from "@/lib/charts/drilldown";
import { SERIES_COLORS, shapeTimeline, topN } from "@/lib/charts/shape";
import { UNKNOWN } from "@/lib/filters";
import type { LabelledStats } from "@/lib/lines/labels";
import { lineText } from "@/lib/phone-format";
import { statsQueryKey } from "@/lib/query-keys";

/** How often the overview refreshes itself (paused while the tab is hidden). */
export const LIVE_REFRESH_MS = 10_000;

const tileClass = "block rounded-lg border bg-card p-4 text-card-foreground no-underline shadow-xs hover:no-underline";
const linkTileClass = cn(tileClass, "hover:border-primary focus-visible:border-primary");
const tileLabel = "text-xs tracking-wide text-muted-foreground uppercase";
const tileValue = "mt-1 text-2xl font-bold tabular-nums";

/**
 * The contacts tile where the refresh did not count them exactly — not counted (a status over many
 * failures) or estimated — with a Count action: counted once on request, the figure kept with when
 * it was counted. Label and figure still drill down to the failures.
 */
function ContactsCountTile({ data, href, queryString, tz }: { data: Pick<LabelledStats, "contacts" | "contactsApproximate">; href: string; queryString: string; tz: string }) {
  const t = useTranslations("overview");
  const format = useFormatter();
  const counted = useCountOnDemand<{ contacts: number }>(["contacts", queryString], `/api/contacts/count?${queryString}`);
  const why = data.contacts === null ? t("contactsNotCounted") : t("contactsEstimated");
  return (
    <div className={cn(tileClass, "hover:border-primary")} data-testid="tile-contacts">
      <Link className="block text-inherit no-underline hover:no-underline" href={href}>
        <div className={tileLabel}>{t("affectedContacts")}</div>
        <div className={tileValue} title={counted.data ? undefined : why}>
          {counted.data ? format.number(counted.data.contacts) : contactsShown(data, (n) => format.number(n))}
        </div>
      </Link>
      <CountAction query={counted} tz={tz} title={why} testId="count-contacts" />
    </div>
  );
}

/** A colour of the theme (CSS variable) for the "Other" bar and the line / template bars. */
const OTHER_BAR = "var(--muted-foreground)";

export function Overview({ serverTz, openedAtFailureId }: { serverTz: string; openedAtFailureId: number }) {
  const router = useRouter();
  const t = useTranslations("overview");
  const tChart = useTranslations("charts");
  const format = useFormatter();
  const reasonText = useReasonText();
  const fmt = (n: number) => format.number(n);
  // Re-render every refresh so "updated … ago" stays true.
  useNow({ updateInterval: LIVE_REFRESH_MS });
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
        <div className="mb-5 grid grid-cols-2 gap-4 md:grid-cols-5">
          {[0, 1, 2, 3, 4].map((i) => (
            <Skeleton key={i} height={84} what="overview" />
          ))}
        </div>
        <Skeleton height={260} what="timeline" />
      </div>
    );
  }
  if (stats.isError) return <QueryError error={stats.error} onRetry={() => void stats.refetch()} what="overview" />;

  const data = stats.data;
  const current = { ...filters, tz };
  const href = (drill: Parameters<typeof drillHref>[3], path = "/failures") => drillHref(path, current, data.window, drill);
  const timelineRows = shapeTimeline(data.timeline, data.window, data.window.tz, data.bucketUnit);
  const topReason = data.byReason[0];

  const other = (count: number) => tChart("other", { count });
  const reasonBars: BarRow[] = topN(data.byReason, topCount, (r) => r.reason, (r) => r.count, (key) => reasonText.label(key ?? ""), other).map((row) => ({
    ...row,
    color: row.isOther ? OTHER_BAR : SERIES_COLORS[data.byReason.find((r) => r.reason === row.key)?.reasonClass ?? "unrecognised"],
  }));
  const lineBars: BarRow[] = topN(data.byLine, topCount, (l) => l.line, (l) => l.count, (key) => (key ? lineText(key, data.byLine.find((l) => l.line === key)?.label) : t("unknown")), other).map((row) => ({
    ...row,
    color: row.isOther ? OTHER_BAR : "var(--chart-1)",
  }));
  const templateBars: BarRow[] = topN(data.byTemplate, topCount, (x) => x.template, (x) => x.count, (key) => key ?? t("unknown"), other).map((row) => ({
    ...row,
    color: row.isOther ? OTHER_BAR : "var(--chart-2)",
  }));

  return (
    <div data-testid="overview">
      <div className="mb-2.5 flex min-h-6 flex-wrap items-center gap-3 text-xs text-muted-foreground" data-testid="live-status">
        <span>
          {stats.isFetching
            ? t("refreshing")
            : t("updated", { at: format.dateTime(stats.dataUpdatedAt, { timeZone: tz, dateStyle: "medium", timeStyle: "medium" }), tz })}{" "}
          · {t("refreshEvery", { seconds: LIVE_REFRESH_MS / 1000 })}
        </span>
        {data.newSinceAfterId ? (
          <button
            type="button"
            data-slot="badge-button"
            className="cursor-pointer rounded-full border border-warning-foreground/40 bg-warning px-2.5 py-0.5 text-warning-foreground"
            data-testid="new-since-open"
            onClick={() => router.refresh()}
          >
            {t("newSinceOpened", { count: data.newSinceAfterId })}
          </button>
        ) : null}
      </div>
      <div className="mb-5 grid grid-cols-2 gap-3 sm:gap-4 md:grid-cols-3 lg:grid-cols-5">
        <Link className={linkTileClass} href={href({})} data-testid="tile-failures">
          <div className={tileLabel}>{t("failuresInRange")}</div>
          <div className={tileValue}>{fmt(data.total)}</div>
        </Link>
        {data.contacts === null || data.contactsApproximate ? (
          <ContactsCountTile data={data} href={href({})} queryString={queryString} tz={tz} />
        ) : (
          <Link className={linkTileClass} href={href({})} data-testid="tile-contacts">
            <div className={tileLabel}>{t("affectedContacts")}</div>
            <div className={tileValue}>{contactsShown(data, fmt)}</div>
          </Link>
        )}
        <div className={tileClass} data-testid="tile-change">
          <div className={tileLabel}>{t("vsPrevious")}</div>
          <div className={cn(tileValue, data.changePct !== null && data.changePct > 0 && "text-destructive", data.changePct !== null && data.changePct < 0 && "text-success")}>
            {data.changePct === null ? "—" : format.number(data.changePct / 100, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" })}
          </div>
          <div className="text-xs text-muted-foreground">{t("before", { count: data.previousTotal })}</div>
        </div>
        <Link className={linkTileClass} href={href({ status: ["open"] }, "/incidents")} data-testid="tile-open-incidents">
          <div className={tileLabel}>{t("openIncidents")}</div>
          <div className={tileValue}>{fmt(data.openIncidents)}</div>
        </Link>
        {topReason ? (
          <Link className={cn(linkTileClass, "col-span-2 md:col-span-1")} href={href({ reason: [topReason.reason] })} data-testid="tile-top-reason">
            <div className={tileLabel}>{t("topReason")}</div>
            <div className="mt-1 text-base font-bold">{reasonText.label(topReason.reason)}</div>
            <div className="text-xs text-muted-foreground">
              {fmt(topReason.count)} · {format.number(data.total ? topReason.count / data.total : 0, { style: "percent" })}
            </div>
          </Link>
        ) : (
          <div className={cn(tileClass, "col-span-2 md:col-span-1")} data-testid="tile-top-reason">
            <div className={tileLabel}>{t("topReason")}</div>
            <div className="mt-1 text-base font-bold">—</div>
          </div>
        )}
      </div>

      <ContactListButtons queryString={queryString} tz={tz} />

      <Card>
        <CardTitle>
          {t("overTime")} <span className="text-xs font-normal text-muted-foreground">{t("perBucket", { unit: data.bucketUnit, tz: data.window.tz })}</span>
        </CardTitle>
        {data.total === 0 ? (
          <p className="text-muted-foreground" data-testid="no-failures-in-range">
            {t("noFailures")}
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
      </Card>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <label className="col-span-full flex items-center justify-end gap-2 text-xs text-muted-foreground">
          {t("showTop")}
          <NativeSelect className="h-8" value={topCount} onChange={(e) => setTopCount(Number(e.target.value))} aria-label={t("topN")}>
            {[5, 8, 10, 15, 25].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </NativeSelect>
        </label>
        <Card className="mb-0">
          <CardTitle>{t("byReason")}</CardTitle>
          <BreakdownBars testId="bars-reason" rows={reasonBars} onSelect={(row) => router.push(href({ reason: [row.key ?? ""] }))} />
        </Card>
        <Card className="mb-0">
          <CardTitle>{t("byLine")}</CardTitle>
          <BreakdownBars testId="bars-line" rows={lineBars} onSelect={(row) => router.push(href({ line: [row.key ?? UNKNOWN] }))} />
        </Card>
        <Card className="mb-0">
          <CardTitle>{t("byTemplate")}</CardTitle>
          <BreakdownBars testId="bars-template" rows={templateBars} onSelect={(row) => router.push(href({ template: [row.key ?? UNKNOWN] }))} />
        </Card>
      </div>
    </div>
  );
}
