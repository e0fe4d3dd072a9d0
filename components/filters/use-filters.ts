"use client";

import { useQueryStates } from "nuqs";
import { useCallback, useEffect, useMemo, useSyncExternalStore } from "react";
import { pagePositionParsers } from "@/components/data-table/use-keyset-paging";
import { filtersToSearchParams, filterUrlParsers, TZ_COOKIE, type Filters } from "@/lib/filters";

const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
const noSubscription = () => () => {};

/** The browser's time zone, remembered in a cookie so server-rendered pages use it too. */
function useBrowserTimeZone(serverTz: string): string {
  const tz = useSyncExternalStore(noSubscription, browserTimeZone, () => serverTz);
  useEffect(() => {
    const cookie = `${TZ_COOKIE}=${encodeURIComponent(tz)}`;
    if (!document.cookie.split("; ").includes(cookie)) {
      document.cookie = `${cookie}; path=/; max-age=31536000; samesite=lax`;
    }
  }, [tz]);
  return tz;
}

export interface UseFilters {
  /** Filters exactly as in the URL. */
  filters: Filters;
  /** The time zone in effect: the URL's, else the browser's. */
  tz: string;
  /** Query string of every filter with the effective tz: the key of every query. */
  queryString: string;
  /** Changes filters; a paged list's position (cursor and trail) restarts at its first page. */
  setFilters: (changes: FilterChanges) => Promise<URLSearchParams>;
}

type FilterChanges = Exclude<Parameters<ReturnType<typeof useQueryStates<typeof filterUrlParsers>>[1]>[0], (...args: never[]) => unknown>;

const urlParsers = { ...filterUrlParsers, ...pagePositionParsers };

/** The dashboard filters, kept in the URL (each change is a history entry). */
export function useFilters(serverTz = "UTC"): UseFilters {
  const [state, setUrl] = useQueryStates(urlParsers, { history: "push" });
  // One history entry: Back returns to the old filters with their page.
  const setFilters = useCallback((changes: FilterChanges) => setUrl({ ...changes, cursor: null, prev: null }), [setUrl]);
  const browserTz = useBrowserTimeZone(serverTz);
  return useMemo(() => {
    const filters: Filters = {
      range: state.range ?? undefined,
      from: state.from ?? undefined,
      to: state.to ?? undefined,
      tz: state.tz ?? undefined,
      reason: state.reason ?? [],
      class: state.class ?? [],
      line: state.line ?? [],
      template: state.template ?? [],
      status: state.status ?? [],
      q: state.q ?? undefined,
      assignee: state.assignee ?? undefined,
    };
    const tz = filters.tz ?? browserTz;
    return { filters, tz, queryString: filtersToSearchParams({ ...filters, tz }).toString(), setFilters };
  }, [state, browserTz, setFilters]);
}
