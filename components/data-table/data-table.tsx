"use client";

import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { QueryError, Skeleton } from "@/components/query-states";

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
  what: string;
  testId: string;
}) {
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
    <div className="data-table" data-testid={testId}>
      <div className="table-meta">
        <span data-testid={`${testId}-total`}>
          {paging.total === undefined ? "…" : `${paging.total.toLocaleString("en-US")} ${what}`}
        </span>
        <label className="muted small">
          Rows per page{" "}
          <select value={paging.pageSize} onChange={(e) => paging.onPageSize(Number(e.target.value))} aria-label="Rows per page">
            {paging.pageSizes.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? (
        <QueryError error={error} onRetry={onRetry} what={what} />
      ) : (
        <table>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sortable = header.column.getCanSort();
                  const dir = header.column.getIsSorted();
                  return (
                    <th key={header.id} aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : undefined}>
                      {sortable ? (
                        <button type="button" className="sort" onClick={header.column.getToggleSortingHandler()}>
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          <span aria-hidden="true">{dir === "asc" ? " ▲" : dir === "desc" ? " ▼" : " ↕"}</span>
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
                  <Skeleton height={160} label={`Loading ${what}`} />
                </td>
              </tr>
            ) : table.getRowModel().rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="muted empty" data-testid={`${testId}-empty`}>
                  {emptyMessage}
                </td>
              </tr>
            ) : (
              table.getRowModel().rows.map((row) => (
                <tr
                  key={row.id}
                  className={onRowClick ? "clickable" : undefined}
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
      )}
      <div className="pager">
        <button type="button" onClick={paging.onFirst} disabled={!paging.hasPrevious} data-testid={`${testId}-first`}>
          « First
        </button>
        <button type="button" onClick={paging.onPrevious} disabled={!paging.hasPrevious} data-testid={`${testId}-previous`}>
          ‹ Previous
        </button>
        <button type="button" onClick={paging.onNext} disabled={!paging.hasNext} data-testid={`${testId}-next`}>
          Next ›
        </button>
      </div>
    </div>
  );
}
