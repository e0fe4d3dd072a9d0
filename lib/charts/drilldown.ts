import { FILTER_KEYS, filtersToSearchParams, type Filters } from "@/lib/filters";

export type Drill = Partial<Pick<Filters, "reason" | "class" | "line" | "template" | "status">> & {
  /** Pin the slice to an absolute window (ISO instants). */
  from?: string;
  to?: string;
};

/**
 * Link to `path` showing exactly a slice of the current view: the current filters plus `drill`
 * (a drilled dimension replaces that dimension's filter) and the window pinned to absolute times,
 * so the page opened counts exactly what was clicked.
 */
export function drillHref(path: string, current: Filters & { tz: string }, window: { from: string; to: string }, drill: Drill): string {
  const next: Partial<Filters> = { ...current, range: undefined, from: drill.from ?? window.from, to: drill.to ?? window.to };
  for (const key of ["reason", "class", "line", "template", "status"] as const) {
    if (drill[key]) (next[key] as string[]) = drill[key];
  }
  const params = filtersToSearchParams(next);
  return `${path}?${params.toString()}`;
}

/** Only the filter parameters of a query string (drops paging and other keys). */
export function keepFilterParams(search: URLSearchParams): URLSearchParams {
  const kept = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (value) kept.set(key, value);
  }
  return kept;
}
