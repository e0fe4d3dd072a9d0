"use client";

import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { SERIES, SERIES_COLORS, SERIES_LABELS, type Series, type TimelineRow } from "@/lib/charts/shape";
import { reasonInfo } from "@/lib/reasons";

function TimelineTooltip({ active, payload }: { active?: boolean; payload?: Array<{ payload: TimelineRow }> }) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <strong>{row.label}</strong> — {row.total.toLocaleString("en-US")} failures
      <ul>
        {row.reasons.slice(0, 10).map((r) => (
          <li key={r.reason}>
            <span className="swatch" style={{ background: SERIES_COLORS[reasonInfo(r.reason)?.reasonClass ?? "unrecognised"] }} />
            {reasonInfo(r.reason)?.label ?? r.reason}: {r.count.toLocaleString("en-US")}
          </li>
        ))}
        {row.reasons.length > 10 && <li className="muted">…and {row.reasons.length - 10} more</li>}
      </ul>
    </div>
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
  const present = SERIES.filter((s) => rows.some((r) => r[s] > 0));
  return (
    <ResponsiveContainer width="100%" height={260}>
      <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={16} />
        <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={48} />
        <Tooltip content={<TimelineTooltip />} />
        <Legend formatter={(value: string) => SERIES_LABELS[value as Series] ?? value} />
        {markers.map((m) => {
          const row = rowAt(rows, m.at);
          return row ? (
            <ReferenceLine key={`${m.at}-${m.label}`} x={row.label} stroke={m.color ?? "#b42318"} strokeDasharray="4 2" label={{ value: m.label, position: "insideTopRight", fontSize: 11, fill: m.color ?? "#b42318" }} />
          ) : null;
        })}
        {present.map((s) => (
          <Bar
            key={s}
            dataKey={s}
            stackId="failures"
            fill={SERIES_COLORS[s]}
            cursor="pointer"
            isAnimationActive={false}
            onClick={(data: { payload?: TimelineRow }) => data.payload && onSelect(data.payload, s)}
          />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
