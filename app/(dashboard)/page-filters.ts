import { dehydrate, QueryClient, type DehydratedState } from "@tanstack/react-query";
import { cookies } from "next/headers";
import { filtersToSearchParams, parseFilters, TZ_COOKIE, type Filters } from "@/lib/filters";
import { AppError } from "@/lib/http/errors";
import { pagedListQueryString } from "@/lib/query-keys";
import { isValidTimeZone } from "@/lib/time/zoned";

export type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export type PageFilters =
  | { ok: true; filters: Filters; tz: string; queryString: string }
  | { ok: false; message: string };

/**
 * Filters of a server-rendered page: the URL's, with the time zone from the URL, else the
 * browser's (remembered in a cookie), else UTC. The query string matches the client's query key.
 */
export async function pageFilters(searchParams: SearchParams): Promise<PageFilters> {
  const params = await searchParams;
  let filters: Filters;
  try {
    filters = parseFilters(params);
  } catch (err) {
    if (err instanceof AppError) return { ok: false, message: err.message };
    throw err;
  }
  const cookieTz = (await cookies()).get(TZ_COOKIE)?.value;
  const tz = filters.tz ?? (cookieTz && isValidTimeZone(cookieTz) ? cookieTz : "UTC");
  return { ok: true, filters, tz, queryString: filtersToSearchParams({ ...filters, tz }).toString() };
}

/**
 * A page's prefetch through the read pool, or undefined when the read ran past its deadline or
 * the user has too many heavy reads running: the page renders anyway, and its client asks again
 * and shows why in the panel.
 */
export async function prefetchRead<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof AppError && (err.code === "query_timeout" || err.status === 429)) return undefined;
    throw err;
  }
}

/**
 * Prefetches the first view of a keyset-paged list (failures, incidents) under the page's
 * filters, keyed exactly as its client table will ask. An invalid paging parameter in the URL
 * comes back as a message instead.
 */
export async function prefetchPagedList<Paging extends { sort: string; dir: string; limit: number; cursor?: string }>(
  searchParams: SearchParams,
  page: Extract<PageFilters, { ok: true }>,
  list: {
    parsePaging: (params: URLSearchParams) => Paging;
    queryKey: (queryString: string) => readonly unknown[];
    load: (filters: Filters, paging: Paging) => Promise<unknown>;
  },
): Promise<{ ok: true; state: DehydratedState } | { ok: false; message: string }> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(await searchParams)) if (typeof value === "string") params.set(key, value);
  const queryClient = new QueryClient();
  try {
    const paging = list.parsePaging(params);
    const key = list.queryKey(pagedListQueryString(page.filters, page.tz, {}, { ...paging, cursor: paging.cursor ?? null }));
    const data = await prefetchRead(list.load({ ...page.filters, tz: page.tz }, paging));
    if (data !== undefined) queryClient.setQueryData(key, data);
  } catch (err) {
    if (err instanceof AppError) return { ok: false, message: err.message };
    throw err;
  }
  return { ok: true, state: dehydrate(queryClient) };
}
