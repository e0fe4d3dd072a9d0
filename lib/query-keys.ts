import { filtersToSearchParams, type Filters } from "@/lib/filters";

/**
 * TanStack Query keys, shared by server pages (which prefetch) and client components (which
 * read): each key holds the full query string, so it contains every filter.
 */
export const statsQueryKey = (queryString: string, afterId: number | null) => ["stats", queryString, afterId] as const;
export const failuresQueryKey = (queryString: string) => ["failures", queryString] as const;
export const facetsQueryKey = (queryString: string) => ["facets", queryString] as const;
export const failureQueryKey = (id: number) => ["failure", id] as const;
export const incidentsQueryKey = (queryString: string) => ["incidents", queryString] as const;
export const incidentQueryKey = (id: number) => ["incident", id] as const;

/** Query string of a failures (or incidents) page: every filter (plus fixed ones) and the paging. */
export function pagedListQueryString(
  filters: Filters,
  tz: string,
  fixed: Partial<Filters>,
  page: { sort: string; dir: string; limit: number; cursor: string | null },
): string {
  const params = filtersToSearchParams({ ...filters, ...fixed, tz });
  params.set("sort", page.sort);
  params.set("dir", page.dir);
  params.set("limit", String(page.limit));
  if (page.cursor) params.set("cursor", page.cursor);
  return params.toString();
}
export const redeployPlanQueryKey = (id: number) => ["redeploy-plan", id] as const;
export const redeployPlansQueryKey = () => ["redeploy-plans"] as const;
/** Every line's label (GET /api/lines), shared by every <LineName>. */
export const lineLabelsQueryKey = () => ["line-labels"] as const;
