"use client";

import type { SortingState } from "@tanstack/react-table";
import { parseAsArrayOf, parseAsString } from "nuqs";
import { PAGE_SIZES } from "@/lib/queries/failure-page";
import type { ServerPaging } from "./data-table";

type Direction = "asc" | "desc";

/**
 * Where a keyset-paged list is, in the URL: `cursor` (this page's; none on the first page) and
 * `prev`, the cursors of the pages between the first and this one. So First and Previous work
 * after a reload, on a shared link and after Back. Changing a filter clears both (useFilters).
 */
export const pagePositionParsers = { cursor: parseAsString, prev: parseAsArrayOf(parseAsString) };

export interface PageState<Sort extends string> {
  sort: Sort;
  dir: Direction;
  limit: number;
  cursor: string | null;
  prev: string[] | null;
}

type PageChanges<Sort extends string> = Partial<{ sort: Sort; dir: Direction; limit: number; cursor: string | null; prev: string[] | null }>;

/**
 * Keyset paging of a server-sorted list whose position lives in the URL (pagePositionParsers),
 * restarting at the first page when sort or size changes, and the DataTable's sorting and
 * paging props.
 */
export function useKeysetPaging<Sort extends string>(
  page: PageState<Sort>,
  setPage: (changes: PageChanges<Sort>) => unknown,
  defaultSort: Sort,
) {
  const trail = page.prev ?? [];
  const limit = (PAGE_SIZES as readonly number[]).includes(page.limit) ? page.limit : 50;
  const restart = (changes: PageChanges<Sort>) => {
    void setPage({ ...changes, cursor: null, prev: null });
  };
  const sorting: SortingState = [{ id: page.sort, desc: page.dir === "desc" }];
  const onSortingChange = (next: SortingState) => {
    const first = next[0];
    restart(first ? { sort: first.id as Sort, dir: first.desc ? "desc" : "asc" } : { sort: defaultSort, dir: "desc" });
  };
  const paging = (data: { total: number; nextCursor: string | null } | undefined): ServerPaging => ({
    total: data?.total,
    pageSize: limit,
    pageSizes: PAGE_SIZES,
    onPageSize: (size) => restart({ limit: size }),
    hasPrevious: page.cursor !== null,
    hasNext: Boolean(data?.nextCursor),
    onFirst: () => restart({}),
    onPrevious: () => void setPage({ cursor: trail.at(-1) ?? null, prev: trail.length > 1 ? trail.slice(0, -1) : null }),
    onNext: () => {
      if (!data?.nextCursor) return;
      void setPage({ cursor: data.nextCursor, prev: page.cursor ? [...trail, page.cursor] : null });
    },
  });
  return { limit, sorting, onSortingChange, paging };
}
