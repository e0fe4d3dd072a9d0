"use client";

import { useFormatter, useTranslations } from "next-intl";
import { Bar, BarChart, Cell, Tooltip, XAxis, YAxis } from "recharts";
import { ChartContainer } from "@/components/ui/chart";
import type { TopNRow } from "@/lib/charts/shape";

export interface BarRow extends TopNRow {
  color: string;
}

/** Horizontal bars of a breakdown; clicking a bar (not "Other") drills into it. */
export function BreakdownBars({ rows, onSelect, testId }: { rows: BarRow[]; onSelect: (row: BarRow) => void; testId: string }) {
  const t = useTranslations("charts");
  const format = useFormatter();
  return (
    <div data-testid={testId}>
      <ChartContainer config={{ count: { label: t("failures") } }} height={Math.max(80, rows.length * 28 + 20)} aria-hidden>
        <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 48, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <XAxis type="number" hide />
          <YAxis type="category" dataKey="label" width={150} tick={{ fontSize: 12 }} interval={0} />
          <Tooltip
            formatter={(value) => [format.number(Number(value)), t("failures")]}
            contentStyle={{ background: "var(--popover)", borderColor: "var(--border)", color: "var(--popover-foreground)", borderRadius: 8 }}
            labelStyle={{ color: "var(--popover-foreground)" }}
            itemStyle={{ color: "var(--popover-foreground)" }}
          />
          <Bar
            dataKey="count"
            isAnimationActive={false}
            label={{ position: "right", fontSize: 11, fill: "var(--foreground)", formatter: (v: unknown) => format.number(Number(v)) }}
            onClick={(data: { payload?: BarRow }) => data.payload && !data.payload.isOther && onSelect(data.payload)}
          >
            {rows.map((r) => (
              <Cell key={`${r.key}-${r.isOther}`} fill={r.color} cursor={r.isOther ? "default" : "pointer"} />
            ))}
          </Bar>
        </BarChart>
      </ChartContainer>
      {/* The same bars as buttons: keyboard- and screen-reader-friendly drill-down. */}
      <ul className="sr-only text-xs focus-within:not-sr-only focus-within:flex focus-within:flex-wrap focus-within:gap-2 focus-within:pt-2">
        {rows
          .filter((r) => !r.isOther)
          .map((r) => (
            <li key={r.key ?? "(unknown)"}>
              <button type="button" data-slot="button" className="rounded-sm underline" onClick={() => onSelect(r)} data-testid={`${testId}-item`} data-key={r.key ?? "(unknown)"}>
                {r.label}: {r.count}
              </button>
            </li>
          ))}
      </ul>
    </div>
  );
}
