"use client";

import { useFormatter, useTranslations } from "next-intl";
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, Tooltip, XAxis, YAxis } from "recharts";
import { useReasonText } from "@/components/use-reason-text";
import { ChartContainer, ChartTooltipBox, type ChartConfig } from "@/components/ui/chart";
import { SERIES, SERIES_COLORS, type Series, type TimelineRow } from "@/lib/charts/shape";
import { reasonInfo } from "@/lib/reasons";

function TimelineTooltip({ active, payload }: { active?: boolean; payload?: Array<{ payload: TimelineRow }> }) {
  const t = useTranslations("charts");
  const format = useFormatter();
  const reasonText = useReasonText();
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <ChartTooltipBox>
      <div>
        <strong>{row.label}</strong> — {t("failuresCount", { count: row.total })}
      </div>
      <ul className="m-0 list-none p-0">
        {row.reasons.slice(0, 10).map((r) => (
          <li key={r.reason} className="flex items-center gap-1.5">
            <span className="inline-block size-2.5 rounded-xs" style={{ background: SERIES_COLORS[reasonInfo(r.reason)?.reasonClass ?? "unrecognised"] }} />
            {reasonText.label(r.reason)}: {format.number(r.count)}
          </li>
        ))}
        {row.reasons.length > 10 && <li className="text-muted-foreground">{t("andMore", { count: row.reasons.length - 10 })}</li>}
      </ul>
    </ChartTooltipBox>
  );
}

/** A labelled moment on the timeline, e.g. "DISABLED 14:02" for a template status change. */
export interface TimelineMarker {
  at: string;
  label: string;
  color?: string;
}

/** The row whose [from, to) holds `at`, if the timeline covers it. */
function rowAt(rows: TimelineRow[], at: string): TimelineRow | undefined {
  return rows.find((r) => r.from <= at && at < r.to);
}

/** Failures over time, stacked by reason class; clicking a segment drills into that slice. */
export function TimelineChart({
  rows,
  onSelect,
  markers = [],
}: {
  rows: TimelineRow[];
  onSelect: (row: TimelineRow, series: Series) => void;
  markers?: TimelineMarker[];
}) {
  const tClass = useTranslations("reasonClasses");
  const present = SERIES.filter((s) => rows.some((r) => r[s] > 0));
  const config: ChartConfig = Object.fromEntries(SERIES.map((s) => [s, { label: tClass(s), color: `var(--${s === "unrecognised" ? "unknown" : s})` }]));
  return (
    <ChartContainer config={config} height={260}>
      <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={16} />
        <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={48} />
        <Tooltip content={<TimelineTooltip />} />
        <Legend formatter={(value: string) => (SERIES.includes(value as Series) ? tClass(value as Series) : value)} />
        {markers.map((m) => {
          const row = rowAt(rows, m.at);
          return row ? (
            <ReferenceLine
              key={`${m.at}-${m.label}`}
              x={row.label}
              stroke={m.color ?? "var(--destructive)"}
              strokeDasharray="4 2"
              label={{ value: m.label, position: "insideTopRight", fontSize: 11, fill: m.color ?? "var(--destructive)" }}
            />
          ) : null;
        })}
        {present.map((s) => (
          <Bar
            key={s}
            dataKey={s}
            stackId="failures"
            fill={`var(--color-${s})`}
            cursor="pointer"
            isAnimationActive={false}
            onClick={(data: { payload?: TimelineRow }) => data.payload && onSelect(data.payload, s)}
          />
        ))}
      </BarChart>
    </ChartContainer>
  );
}
