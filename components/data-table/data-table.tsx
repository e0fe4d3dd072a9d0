"use client";

import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { ChevronDownIcon, ChevronFirstIcon, ChevronLeftIcon, ChevronRightIcon, ChevronsUpDownIcon, ChevronUpIcon } from "lucide-react";
import { useTranslations } from "next-intl";
import { QueryError, Skeleton, type Loadable } from "@/components/query-states";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/input";
import { TableScroll } from "@/components/ui/table";
import { cn } from "@/lib/utils";

export interface ServerPaging {
  total: number | undefined;
  pageSize: number;
  pageSizes: readonly number[];
  onPageSize: (size: number) => void;
  hasPrevious: boolean;
  hasNext: boolean;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: () => void;
}

/**
 * The one data table: server-side sorting and keyset paging (the server owns the rows), with
 * real loading, error and empty states.
 */
export function DataTable<Row>({
  columns,
  rows,
  isPending,
  error,
  onRetry,
  sorting,
  onSortingChange,
  paging,
  onRowClick,
  rowKey,
  emptyMessage,
  what,
  testId,
}: {
  columns: ColumnDef<Row, unknown>[];
  rows: Row[] | undefined;
  isPending: boolean;
  error: unknown;
  onRetry: () => void;
  sorting: SortingState;
  onSortingChange: (sorting: SortingState) => void;
  paging: ServerPaging;
  onRowClick?: (row: Row) => void;
  rowKey: (row: Row) => string;
  emptyMessage: string;
  what: Extract<Loadable, "failures" | "incidents">;
  testId: string;
}) {
  const t = useTranslations("table");
  // The app does not use the React Compiler; TanStack Table's unmemoizable API is fine here.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: rows ?? [],
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    enableMultiSort: false,
    state: { sorting },
    onSortingChange: (updater) => onSortingChange(typeof updater === "function" ? updater(sorting) : updater),
    getRowId: rowKey,
  });

  return (
    <div className="min-w-0 rounded-lg border bg-card p-3 shadow-xs" data-testid={testId}>
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2 font-semibold">
        <span data-testid={`${testId}-total`}>{paging.total === undefined ? "…" : t(what, { count: paging.total })}</span>
        <label className="flex items-center gap-2 text-xs font-normal text-muted-foreground">
          {t("rowsPerPage")}
          <NativeSelect className="h-8" value={paging.pageSize} onChange={(e) => paging.onPageSize(Number(e.target.value))} aria-label={t("rowsPerPage")}>
            {paging.pageSizes.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </NativeSelect>
        </label>
      </div>
      {error ? (
        <QueryError error={error} onRetry={onRetry} what={what} />
      ) : (
        <TableScroll>
        <table className="min-w-[640px]">
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sortable = header.column.getCanSort();
                  const dir = header.column.getIsSorted();
                  return (
                    <th key={header.id} aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : undefined}>
                      {sortable ? (
                        <button type="button" data-slot="sort" className="inline-flex cursor-pointer items-center gap-1 rounded-sm text-xs font-semibold hover:text-foreground" onClick={header.column.getToggleSortingHandler()}>
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          {dir === "asc" ? <ChevronUpIcon className="size-3.5" aria-hidden /> : dir === "desc" ? <ChevronDownIcon className="size-3.5" aria-hidden /> : <ChevronsUpDownIcon className="size-3.5 opacity-50" aria-hidden />}
                        </button>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {isPending ? (
              <tr>
                <td colSpan={columns.length}>
                  <Skeleton height={160} what={what} />
                </td>
              </tr>
            ) : table.getRowModel().rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="p-8 text-center text-muted-foreground" data-testid={`${testId}-empty`}>
                  {emptyMessage}
                </td>
              </tr>
            ) : (
              table.getRowModel().rows.map((row) => (
                <tr
                  key={row.id}
                  className={cn(onRowClick && "cursor-pointer hover:bg-accent/50")}
                  onClick={onRowClick ? () => onRowClick(row.original) : undefined}
                  data-testid={`${testId}-row`}
                >
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
        </TableScroll>
      )}
      <div className="mt-2.5 flex justify-end gap-2">
        <Button type="button" variant="outline" size="sm" onClick={paging.onFirst} disabled={!paging.hasPrevious} data-testid={`${testId}-first`}>
          <ChevronFirstIcon aria-hidden /> {t("first")}
        </Button>
        <Button type="button" variant="outline" size="sm" onClick={paging.onPrevious} disabled={!paging.hasPrevious} data-testid={`${testId}-previous`}>
          <ChevronLeftIcon aria-hidden /> {t("previous")}
        </Button>
        <Button type="button" variant="outline" size="sm" onClick={paging.onNext} disabled={!paging.hasNext} data-testid={`${testId}-next`}>
          {t("next")} <ChevronRightIcon aria-hidden />
        </Button>
      </div>
    </div>
  );
}
