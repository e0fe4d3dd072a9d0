"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ColumnDef } from "@tanstack/react-table";
import Link from "next/link";
import { parseAsInteger, parseAsStringLiteral, useQueryStates } from "nuqs";
import { DataTable } from "@/components/data-table/data-table";
import { pagePositionParsers, useKeysetPaging } from "@/components/data-table/use-keyset-paging";
import { ExportButton } from "@/components/export/export-button";
import { useFilters } from "@/components/filters/use-filters";
import { useHasRole } from "@/components/session-role";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams, type Filters } from "@/lib/filters";
import { failuresQueryKey, pagedListQueryString } from "@/lib/query-keys";
import { FAILURE_SORTS } from "@/lib/queries/failure-page";
import type { FailureItem, FailureList } from "@/lib/queries/failures";
import { formatInTimeZone } from "@/lib/time/format";
import { FailureDetail } from "./failure-detail";
import { LineName, PhoneNumber } from "@/components/line-name";

const pageParsers = {
  sort: parseAsStringLiteral(FAILURE_SORTS).withDefault("time"),
  dir: parseAsStringLiteral(["asc", "desc"] as const).withDefault("desc"),
  limit: parseAsInteger.withDefault(50),
  ...pagePositionParsers,
  failure: parseAsInteger,
};

function columns(tz: string): ColumnDef<FailureItem, unknown>[] {
  return [
    {
      id: "time",
      header: `Time (${tz})`,
      // An accessor makes the column sortable for TanStack Table; the server does the sorting.
      accessorFn: (row) => row.occurredAt,
      enableSorting: true,
      cell: ({ row }) => <span title={row.original.occurredAt}>{formatInTimeZone(Date.parse(row.original.occurredAt), tz, "full")}</span>,
    },
    {
      id: "reason",
      header: "Reason",
      accessorFn: (row) => row.reason,
      enableSorting: true,
      cell: ({ row }) => (
        <span className="reason-cell">
          {row.original.reasonLabel}
          <code>{row.original.reason}</code>
        </span>
      ),
    },
    { id: "line", header: "Line", accessorFn: (row) => row.line, enableSorting: true, cell: ({ row }) => <LineName line={row.original.line} /> },
    {
      id: "template",
      header: "Template",
      accessorFn: (row) => row.template,
      enableSorting: true,
      cell: ({ row }) => row.original.template ?? <span className="muted">unknown</span>,
    },
    {
      id: "contact",
      header: "Contact",
      enableSorting: false,
      cell: ({ row }) => {
        const phone = row.original.phoneE164 ?? row.original.cellphone;
        return phone ? <PhoneNumber phone={phone} /> : <span className="muted">unknown</span>;
      },
    },
    {
      id: "campaign",
      header: "Campaign (poll / deployment)",
      enableSorting: false,
      cell: ({ row }) => (
        <span className="small">
          {row.original.pollId ?? "—"} / {row.original.deploymentId ?? "—"}
        </span>
      ),
    },
    {
      id: "incident",
      header: "Incident",
      enableSorting: false,
      cell: ({ row }) => (
        // The row opens the failure drawer; the status opens its incident instead.
        <Link
          href={`/incidents/${row.original.incidentId}`}
          className={`status status-${row.original.incidentStatus}`}
          onClick={(e) => e.stopPropagation()}
          data-testid="incident-link"
        >
          {row.original.incidentStatus}
        </Link>
      ),
    },
  ];
}

/**
 * The failures of the current filters (plus `fixed` ones, e.g. a line page's line), keyset-
 * paginated by the server; a row opens its detail in a drawer that has its own URL.
 */
export function FailuresTable({ serverTz, fixed = {} }: { serverTz: string; fixed?: Partial<Filters> }) {
  const { filters, tz, queryString: filterQuery } = useFilters(serverTz);
  const [page, setPage] = useQueryStates(pageParsers, { history: "push" });
  const { limit, sorting, onSortingChange, paging } = useKeysetPaging(page, setPage, "time");
  const queryString = pagedListQueryString(filters, tz, fixed, { ...page, limit });
  const list = useQuery({
    queryKey: failuresQueryKey(queryString),
    queryFn: () => fetchJson<FailureList>(`/api/failures?${queryString}`),
    placeholderData: keepPreviousData,
    // The first page stays live like the overview; deeper pages hold still while being read.
    refetchInterval: page.cursor ? false : 10_000,
  });
  const canExport = useHasRole("operator");
  const exportHref = `/api/failures/export?${filtersToSearchParams({ ...filters, ...fixed, tz }).toString()}`;

  return (
    <>
      {canExport && (
        <div className="table-toolbar">
          <ExportButton href={exportHref} label="Export CSV" testId="export-failures" expected={list.data?.total} />
        </div>
      )}
      <DataTable
        testId="failures-table"
        what="failures"
        columns={columns(tz)}
        rows={list.data?.items}
        isPending={list.isPending}
        error={list.isError ? list.error : null}
        onRetry={() => void list.refetch()}
        rowKey={(r) => String(r.id)}
        sorting={sorting}
        onSortingChange={onSortingChange}
        onRowClick={(row) => void setPage({ failure: row.id })}
        emptyMessage="No failures match these filters in this range."
        paging={paging(list.data)}
      />
      {page.failure !== null && (
        <>
          <div className="drawer-backdrop" onClick={() => void setPage({ failure: null })} />
          <aside className="drawer" role="dialog" aria-label="Failure detail" data-testid="failure-drawer">
            <div className="drawer-header">
              <h2>Failure #{page.failure}</h2>
              <span>
                <Link href={`/failures/${page.failure}?${filterQuery}`}>Open as page</Link>{" "}
                <button type="button" onClick={() => void setPage({ failure: null })} aria-label="Close">
                  ✕
                </button>
              </span>
            </div>
            <FailureDetail id={page.failure} tz={tz} filterQuery={filterQuery} />
          </aside>
        </>
      )}
    </>
  );
}
