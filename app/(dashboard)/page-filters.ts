import { cookies } from "next/headers";
import { filtersToSearchParams, parseFilters, TZ_COOKIE, type Filters } from "@/lib/filters";
import { AppError } from "@/lib/http/errors";
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
