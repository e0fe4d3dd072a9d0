"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ColumnDef } from "@tanstack/react-table";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { parseAsInteger, parseAsStringLiteral, useQueryStates } from "nuqs";
import { DataTable } from "@/components/data-table/data-table";
import { pagePositionParsers, useKeysetPaging } from "@/components/data-table/use-keyset-paging";
import { ExportButton } from "@/components/export/export-button";
import { useFilters } from "@/components/filters/use-filters";
import { IncidentStatus } from "@/components/incidents/incident-badges";
import { useHasRole } from "@/components/session-role";
import { Sheet, SheetContent, SheetTitle } from "@/components/ui/sheet";
import { buttonVariants } from "@/components/ui/button";
import { useFormatTime } from "@/components/use-format-time";
import { useReasonText } from "@/components/use-reason-text";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams, type Filters } from "@/lib/filters";
import { failuresQueryKey, pagedListQueryString } from "@/lib/query-keys";
import { FAILURE_SORTS } from "@/lib/queries/failure-page";
import type { FailureItem, FailureList } from "@/lib/queries/failures";
import { FailureDetail } from "./failure-detail";
import { LineName, PhoneNumber } from "@/components/line-name";

const pageParsers = {
  sort: parseAsStringLiteral(FAILURE_SORTS).withDefault("time"),
  dir: parseAsStringLiteral(["asc", "desc"] as const).withDefault("desc"),
  limit: parseAsInteger.withDefault(50),
  ...pagePositionParsers,
  failure: parseAsInteger,
};

function useColumns(tz: string): ColumnDef<FailureItem, unknown>[] {
  const t = useTranslations("failures");
  const time = useFormatTime(tz);
  const reasonText = useReasonText();
  const unknown = <span className="text-muted-foreground">{t("unknown")}</span>;
  return [
    {
      id: "time",
      header: t("time", { tz }),
      // An accessor makes the column sortable for TanStack Table; the server does the sorting.
      accessorFn: (row) => row.occurredAt,
      enableSorting: true,
      cell: ({ row }) => (
        <span title={row.original.occurredAt} className="whitespace-nowrap">
          {time.full(row.original.occurredAt)}
        </span>
      ),
    },
    {
      id: "reason",
      header: t("reason"),
      accessorFn: (row) => row.reason,
      enableSorting: true,
      cell: ({ row }) => (
        <span>
          {reasonText.label(row.original.reason)}
          <code className="block text-[11px] text-muted-foreground">{row.original.reason}</code>
        </span>
      ),
    },
    { id: "line", header: t("line"), accessorFn: (row) => row.line, enableSorting: true, cell: ({ row }) => <LineName line={row.original.line} /> },
    {
      id: "template",
      header: t("template"),
      accessorFn: (row) => row.template,
      enableSorting: true,
      cell: ({ row }) => row.original.template ?? unknown,
    },
    {
      id: "contact",
      header: t("contact"),
      enableSorting: false,
      cell: ({ row }) => {
        const phone = row.original.phoneE164 ?? row.original.cellphone;
        return phone ? <PhoneNumber phone={phone} /> : unknown;
      },
    },
    {
      id: "campaign",
      header: t("campaign"),
      enableSorting: false,
      cell: ({ row }) => (
        <span className="text-xs">
          {row.original.pollId ?? "—"} / {row.original.deploymentId ?? "—"}
        </span>
      ),
    },
    {
      id: "incident",
      header: t("incident"),
      enableSorting: false,
      cell: ({ row }) => (
        // The row opens the failure drawer; the status opens its incident instead.
        <Link href={`/incidents/${row.original.incidentId}`} className="rounded-full no-underline" onClick={(e) => e.stopPropagation()} data-testid="incident-link">
          <IncidentStatus incident={{ status: row.original.incidentStatus, regressed: false, escalating: false }} testIds={false} />
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
  const t = useTranslations("failures");
  const { filters, tz, queryString: filterQuery } = useFilters(serverTz);
  const columns = useColumns(tz);
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
        <div className="mb-2 flex justify-end gap-2">
          <ExportButton href={exportHref} label={t("exportCsv")} testId="export-failures" expected={list.data?.total} />
        </div>
      )}
      <DataTable
        testId="failures-table"
        what="failures"
        columns={columns}
        rows={list.data?.items}
        isPending={list.isPending}
        error={list.isError ? list.error : null}
        onRetry={() => void list.refetch()}
        rowKey={(r) => String(r.id)}
        sorting={sorting}
        onSortingChange={onSortingChange}
        onRowClick={(row) => void setPage({ failure: row.id })}
        emptyMessage={t("empty")}
        paging={paging(list.data)}
      />
      <Sheet open={page.failure !== null} onOpenChange={(open) => !open && void setPage({ failure: null })}>
        <SheetContent side="right" closeLabel={t("close")} aria-describedby={undefined} data-testid="failure-drawer">
          {page.failure !== null && (
            <>
              <div className="flex flex-wrap items-center gap-3 pr-8">
                <SheetTitle>{t("failureNumber", { id: page.failure })}</SheetTitle>
                <Link href={`/failures/${page.failure}?${filterQuery}`} className={buttonVariants({ variant: "outline", size: "sm" })}>
                  {t("openAsPage")}
                </Link>
              </div>
              <FailureDetail id={page.failure} tz={tz} filterQuery={filterQuery} />
            </>
          )}
        </SheetContent>
      </Sheet>
    </>
  );
}
