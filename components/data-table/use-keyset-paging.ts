"use client";

import type { SortingState } from "@tanstack/react-table";
import { useState } from "react";
import { PAGE_SIZES } from "@/lib/queries/failure-page";
import type { ServerPaging } from "./data-table";

type Direction = "asc" | "desc";

export interface PageState<Sort extends string> {
  sort: Sort;
  dir: Direction;
  limit: number;
  cursor: string | null;
}

type PageChanges<Sort extends string> = Partial<{ sort: Sort; dir: Direction; limit: number; cursor: string | null }>;

/**
 * Keyset paging of a server-sorted list whose page lives in the URL: the cursors of the pages
 * before this one (for "Previous"), restarting at the first page when sort or size changes, and
 * the DataTable's sorting and paging props.
 */
export function useKeysetPaging<Sort extends string>(
  page: PageState<Sort>,
  setPage: (changes: PageChanges<Sort>) => unknown,
  defaultSort: Sort,
) {
  const [previousCursors, setPreviousCursors] = useState<Array<string | null>>([]);
  const limit = (PAGE_SIZES as readonly number[]).includes(page.limit) ? page.limit : 50;
  const restart = (changes: PageChanges<Sort>) => {
    setPreviousCursors([]);
    void setPage({ ...changes, cursor: null });
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
    hasPrevious: previousCursors.length > 0,
    hasNext: Boolean(data?.nextCursor),
    onFirst: () => restart({}),
    onPrevious: () => {
      setPreviousCursors(previousCursors.slice(0, -1));
      void setPage({ cursor: previousCursors.at(-1) ?? null });
    },
    onNext: () => {
      if (!data?.nextCursor) return;
      setPreviousCursors([...previousCursors, page.cursor]);
      void setPage({ cursor: data.nextCursor });
    },
  });
  return { limit, sorting, onSortingChange, paging };
}
