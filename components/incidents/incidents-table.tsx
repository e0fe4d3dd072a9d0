"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ColumnDef } from "@tanstack/react-table";
import { useRouter } from "next/navigation";
import { useFormatter, useTranslations } from "next-intl";
import { parseAsInteger, parseAsStringLiteral, useQueryStates } from "nuqs";
import { useState } from "react";
import { DataTable } from "@/components/data-table/data-table";
import { pagePositionParsers, useKeysetPaging } from "@/components/data-table/use-keyset-paging";
import { useFilters } from "@/components/filters/use-filters";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/input";
import { useFormatTime } from "@/components/use-format-time";
import { useReasonText } from "@/components/use-reason-text";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams } from "@/lib/filters";
import { BULK_ACTIONS, type BulkActionName } from "@/lib/incidents/bulk-actions";
import { INCIDENT_SORTS } from "@/lib/queries/incident-page";
import type { IncidentItem, IncidentList } from "@/lib/queries/incidents";
import { pagedListQueryString, incidentsQueryKey } from "@/lib/query-keys";
import { IncidentStatus } from "./incident-badges";
import { IncidentTabs } from "./incident-tabs";
import { NoteDialog } from "./note-dialog";
import { DEFAULT_SNOOZE, SnoozeChoice, snoozeBody, type SnoozeChoiceState } from "./snooze-choice";
import { postBulk, useAssignees, useBulkAction, type BulkRequest } from "./use-incident-action";
import { LineName } from "@/components/line-name";

/** Like the overview: new failures and other people's actions show up without a reload. */
export const INCIDENTS_REFRESH_MS = 10_000;

const pageParsers = {
  sort: parseAsStringLiteral(INCIDENT_SORTS).withDefault("lastSeen"),
  dir: parseAsStringLiteral(["asc", "desc"] as const).withDefault("desc"),
  limit: parseAsInteger.withDefault(50),
  ...pagePositionParsers,
};


function useColumns(tz: string, select: { enabled: boolean; isSelected: (id: number) => boolean; toggle: (id: number) => void }): ColumnDef<IncidentItem, unknown>[] {
  const t = useTranslations("incidents");
  const format = useFormatter();
  const formatTime = useFormatTime(tz);
  const reasonText = useReasonText();
  const unknown = <span className="text-muted-foreground">{t("unknown")}</span>;
  const time = (iso: string) => (
    <span title={iso} className="whitespace-nowrap">
      {formatTime.full(iso)}
    </span>
  );
  const all: Array<ColumnDef<IncidentItem, unknown> | false> = [
    select.enabled && {
      id: "select",
      header: () => <span className="sr-only">{t("select")}</span>,
      enableSorting: false,
      cell: ({ row }) => (
        <input
          type="checkbox"
          aria-label={t("selectIncident", { id: row.original.id })}
          className="size-4 cursor-pointer accent-primary"
          checked={select.isSelected(row.original.id)}
          onClick={(e) => e.stopPropagation()}
          onChange={() => select.toggle(row.original.id)}
        />
      ),
    },
    { id: "status", header: t("status"), enableSorting: false, cell: ({ row }) => <IncidentStatus incident={row.original} /> },
    {
      id: "reason",
      header: t("reason"),
      enableSorting: false,
      cell: ({ row }) => (
        <span>
          {reasonText.label(row.original.reason)}
          <code className="block text-[11px] text-muted-foreground">{row.original.reason}</code>
        </span>
      ),
    },
    { id: "line", header: t("line"), enableSorting: false, cell: ({ row }) => <LineName line={row.original.line} /> },
    { id: "template", header: t("template"), enableSorting: false, cell: ({ row }) => row.original.template ?? unknown },
    // TanStack Table offers sorting only on columns with an accessor; the server does the sorting.
    { id: "count", header: t("failures"), accessorFn: (r) => r.count, enableSorting: true, cell: ({ row }) => format.number(row.original.count) },
    { id: "contacts", header: t("contacts"), enableSorting: false, cell: ({ row }) => format.number(row.original.contacts) },
    { id: "firstSeen", header: t("firstSeen", { tz }), accessorFn: (r) => r.firstSeen, enableSorting: true, cell: ({ row }) => time(row.original.firstSeen) },
    { id: "lastSeen", header: t("lastSeen", { tz }), accessorFn: (r) => r.lastSeen, enableSorting: true, cell: ({ row }) => time(row.original.lastSeen) },
    {
      id: "assignee",
      header: t("assignee"),
      enableSorting: false,
      cell: ({ row }) => (row.original.assignee ? <span title={row.original.assignee.email}>{row.original.assignee.name}</span> : <span className="text-muted-foreground">—</span>),
    },
    {
      id: "acknowledgedBy",
      header: t("acknowledgedBy"),
      enableSorting: false,
      // Kept as history after a resolve; an open incident (new or reopened) is nobody's yet.
      cell: ({ row }) => (row.original.status === "open" ? null : row.original.acknowledgedBy) ?? <span className="text-muted-foreground">—</span>,
    },
  ];
  return all.filter((c): c is ColumnDef<IncidentItem, unknown> => Boolean(c));
}

/** What a bulk action applies to: ticked rows, or everything the filters match. */
interface Selection {
  /** The filters the selection was made under; another view starts with nothing selected. */
  view: string;
  ids: number[];
  allMatching: boolean;
}

/**
 * Incidents of the current filters ("Needs attention", i.e. open, when no status is chosen), with
 * tabs per status and "Assigned to me", keyset-
 * paginated by the server. Operators and admins can tick rows, or select everything matching the
 * filters, and act on them in bulk after a confirmation that states the exact count.
 */
export function IncidentsTable({ serverTz, canAct, currentUserId }: { serverTz: string; canAct: boolean; currentUserId: string }) {
  const router = useRouter();
  const t = useTranslations("incidents");
  const tAction = useTranslations("incidentActions");
  const format = useFormatter();
  const { filters, tz, queryString: filterQuery } = useFilters(serverTz);
  const [page, setPage] = useQueryStates(pageParsers, { history: "push" });
  const { limit, sorting, onSortingChange, paging } = useKeysetPaging(page, setPage, "lastSeen");
  const queryString = pagedListQueryString(filters, tz, {}, { ...page, limit });
  const list = useQuery({
    queryKey: incidentsQueryKey(queryString),
    queryFn: () => fetchJson<IncidentList>(`/api/incidents?${queryString}`),
    placeholderData: keepPreviousData,
    refetchInterval: INCIDENTS_REFRESH_MS,
    refetchIntervalInBackground: false,
  });
  const [stored, setSelection] = useState<Selection>({ view: filterQuery, ids: [], allMatching: false });
  const selection = stored.view === filterQuery ? stored : { view: filterQuery, ids: [], allMatching: false };
  const [pending, setPending] = useState<{ request: BulkRequest; count: { updated: number; skipped: number } | null; error: string | null } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [snooze, setSnooze] = useState<SnoozeChoiceState>(DEFAULT_SNOOZE);
  const bulk = useBulkAction();
  const assignees = useAssignees();

  const total = list.data?.total;
  const columns = useColumns(tz, { enabled: canAct, isSelected: (id) => selection.allMatching || selection.ids.includes(id), toggle: (id) => toggle(id) });
  const selectedCount = selection.allMatching ? (total ?? 0) : selection.ids.length;
  const toggle = (id: number) =>
    setSelection({ view: filterQuery, allMatching: false, ids: selection.ids.includes(id) ? selection.ids.filter((x) => x !== id) : [...selection.ids, id] });

  /**
   * Asks the server how many the action would change (a dry run), then shows the confirmation.
   * Assigning counts for the chosen person (who already has some of them); how long a snooze
   * lasts does not change what it applies to, so its count uses any valid condition.
   */
  const prepare = (action: BulkActionName, userId: string | null = currentUserId) => {
    setMessage(null);
    const selected: BulkRequest = selection.allMatching
      ? { action, filter: Object.fromEntries(filtersToSearchParams(filters)) }
      : { action, ids: selection.ids };
    const request: BulkRequest = action === "assign" ? { ...selected, userId } : selected;
    setPending({ request, count: null, error: null });
    postBulk({ ...request, ...(action === "snooze" && { snooze: { hours: 1 } }), dryRun: true }).then(
      (count) => setPending((p) => (p?.request === request ? { ...p, count } : p)),
      (err: unknown) => setPending((p) => (p?.request === request ? { ...p, error: err instanceof Error ? err.message : String(err) } : p)),
    );
  };

  const snoozeRequest = snoozeBody(snooze);
  const confirm = (note: string) => {
    if (!pending) return;
    if (pending.request.action === "snooze" && !snoozeRequest) return;
    bulk.mutate(
      { ...pending.request, note: note || undefined, ...(pending.request.action === "snooze" && snoozeRequest && { snooze: snoozeRequest }) },
      {
        onSuccess: (result) => {
          setMessage(t("bulkResult", { action: pending.request.action, updated: result.updated, skipped: result.skipped }));
          setPending(null);
          setSelection({ view: filterQuery, ids: [], allMatching: false });
        },
        onError: (err) => setPending((p) => p && { ...p, error: err.message }),
      },
    );
  };

  return (
    <>
      <IncidentTabs counts={list.data?.counts} />
      {!filters.status.length && (
        <p className="mb-3 text-xs text-muted-foreground" data-testid="default-status-note">
          {t("defaultNote")}
        </p>
      )}
      {canAct && (
        <div className="mb-3 flex flex-wrap items-center gap-2.5 rounded-lg border bg-card px-3 py-2 shadow-xs" data-testid="bulk-bar">
          <span>
            {selection.allMatching
              ? t.rich("allSelected", { count: selectedCount, strong: (chunks) => <strong data-testid="selected-count">{chunks}</strong> })
              : t.rich("someSelected", { count: selectedCount, strong: (chunks) => <strong data-testid="selected-count">{chunks}</strong> })}
          </span>
          {total !== undefined && total > 0 && !selection.allMatching && (
            <Button type="button" variant="link" size="sm" data-testid="select-all-matching" onClick={() => setSelection({ view: filterQuery, ids: [], allMatching: true })}>
              {t("selectAllMatching", { total: format.number(total) })}
            </Button>
          )}
          {selectedCount > 0 && (
            <>
              {BULK_ACTIONS.map((action) => (
                <Button key={action} type="button" variant="outline" size="sm" onClick={() => prepare(action)} data-testid={`bulk-${action}`}>
                  {tAction(action)}…
                </Button>
              ))}
              <Button type="button" variant="link" size="sm" onClick={() => setSelection({ view: filterQuery, ids: [], allMatching: false })}>
                {t("clearSelection")}
              </Button>
            </>
          )}
          {message && (
            <span role="status" data-testid="bulk-result">
              {message}
            </span>
          )}
        </div>
      )}
      <DataTable
        testId="incidents-table"
        what="incidents"
        columns={columns}
        rows={list.data?.items}
        isPending={list.isPending}
        error={list.isError ? list.error : null}
        onRetry={() => void list.refetch()}
        rowKey={(r) => String(r.id)}
        sorting={sorting}
        onSortingChange={onSortingChange}
        onRowClick={(row) => router.push(`/incidents/${row.id}?${filterQuery}`)}
        emptyMessage={t("empty")}
        paging={paging(list.data)}
      />
      {pending && (
        <NoteDialog
          title={t("bulkTitle", { action: tAction(pending.request.action) })}
          confirmLabel={pending.count ? `${tAction(pending.request.action)} ${format.number(pending.count.updated)}` : t("counting")}
          busy={bulk.isPending || !pending.count || pending.count.updated === 0 || (pending.request.action === "snooze" && !snoozeRequest)}
          error={pending.error}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        >
          {pending.request.action === "snooze" && <SnoozeChoice value={snooze} onChange={setSnooze} />}
          {pending.request.action === "assign" && (
            <label className="flex flex-wrap items-center gap-2">
              {t("assignTo")}
              <NativeSelect aria-label={t("assignTo")} value={pending.request.userId ?? ""} onChange={(e) => prepare("assign", e.target.value || null)}>
                <option value="">{t("nobody")}</option>
                {assignees.data?.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.id === currentUserId ? t("me", { email: u.email }) : u.email}
                  </option>
                ))}
              </NativeSelect>
            </label>
          )}
          <p data-testid="bulk-confirm-count">
            {pending.count
              ? t("bulkConfirm", {
                  action: tAction(pending.request.action),
                  kind: pending.request.action === "assign" ? "assign" : "status",
                  updated: pending.count.updated,
                  selected: pending.count.updated + pending.count.skipped,
                  skipped: pending.count.skipped,
                })
              : t("countingChanges")}
          </p>
        </NoteDialog>
      )}
    </>
  );
}
