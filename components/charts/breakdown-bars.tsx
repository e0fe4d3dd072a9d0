"use client";

import { Bar, BarChart, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TopNRow } from "@/lib/charts/shape";

export interface BarRow extends TopNRow {
  color: string;
}

/** Horizontal bars of a breakdown; clicking a bar (not "Other") drills into it. */
export function BreakdownBars({ rows, onSelect, testId }: { rows: BarRow[]; onSelect: (row: BarRow) => void; testId: string }) {
  return (
    <div data-testid={testId}>
      <ResponsiveContainer width="100%" height={Math.max(80, rows.length * 28 + 20)}>
        <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 48, bottom: 0, left: 0 }}>
          <XAxis type="number" hide />
          <YAxis type="category" dataKey="label" width={190} tick={{ fontSize: 12 }} interval={0} />
          <Tooltip formatter={(value) => [Number(value).toLocaleString("en-US"), "Failures"]} cursor={{ fill: "#eef1f6" }} />
          <Bar
            dataKey="count"
            isAnimationActive={false}
            label={{ position: "right", fontSize: 11, formatter: (v: unknown) => Number(v).toLocaleString("en-US") }}
            onClick={(data: { payload?: BarRow }) => data.payload && !data.payload.isOther && onSelect(data.payload)}
          >
            {rows.map((r) => (
              <Cell key={`${r.key}-${r.isOther}`} fill={r.color} cursor={r.isOther ? "default" : "pointer"} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      {/* The same bars as links: keyboard- and test-friendly drill-down. */}
      <ul className="sr-only">
        {rows.filter((r) => !r.isOther).map((r) => (
          <li key={r.key ?? "(unknown)"}>
            <button type="button" onClick={() => onSelect(r)} data-testid={`${testId}-item`} data-key={r.key ?? "(unknown)"}>
              {r.label}: {r.count}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
