"use client";

import { useId } from "react";
import { ResponsiveContainer } from "recharts";
import { cn } from "@/lib/utils";

/** Per-series label and colour; each colour becomes `--color-<key>` inside the container (shadcn/ui's chart pattern). */
export type ChartConfig = Record<string, { label?: React.ReactNode; color?: string }>;

/**
 * shadcn/ui's chart container around recharts: sizes the chart, gives recharts' axes, grid and
 * cursor the theme's colours (so charts follow dark mode), and exposes the series colours as CSS
 * variables.
 */
export function ChartContainer({
  config,
  className,
  height,
  children,
  ...props
}: Omit<React.ComponentProps<"div">, "children"> & { config: ChartConfig; height: number; children: React.ReactElement }) {
  const id = `chart-${useId().replace(/:/g, "")}`;
  const vars = Object.entries(config)
    .filter(([, item]) => item.color)
    .map(([key, item]) => `--color-${key}: ${item.color};`)
    .join(" ");
  return (
    <div
      data-slot="chart"
      data-chart={id}
      className={cn(
        "w-full text-xs [&_.recharts-cartesian-axis-tick_text]:fill-muted-foreground [&_.recharts-cartesian-grid_line]:stroke-border/70 [&_.recharts-label]:fill-foreground [&_.recharts-legend-item-text]:text-foreground! [&_.recharts-rectangle.recharts-tooltip-cursor]:fill-muted [&_.recharts-surface]:outline-hidden",
        className,
      )}
      {...props}
    >
      {vars && <style>{`[data-chart=${id}] { ${vars} }`}</style>}
      <ResponsiveContainer width="100%" height={height}>
        {children}
      </ResponsiveContainer>
    </div>
  );
}

/** The box of a chart's tooltip, in popover colours. */
export function ChartTooltipBox({ className, ...props }: React.ComponentProps<"div">) {
  return <div className={cn("grid min-w-32 gap-1.5 rounded-lg border bg-popover px-2.5 py-1.5 text-xs text-popover-foreground shadow-xl", className)} {...props} />;
}
