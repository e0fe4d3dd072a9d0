"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ColumnDef } from "@tanstack/react-table";
import { useRouter } from "next/navigation";
import { parseAsInteger, parseAsStringLiteral, useQueryStates } from "nuqs";
import { useState } from "react";
import { DataTable } from "@/components/data-table/data-table";
import { pagePositionParsers, useKeysetPaging } from "@/components/data-table/use-keyset-paging";
import { useFilters } from "@/components/filters/use-filters";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams } from "@/lib/filters";
import { BULK_ACTIONS, type BulkActionName } from "@/lib/incidents/bulk-actions";
import type { IncidentAction } from "@/lib/incidents/transitions";
import { INCIDENT_SORTS } from "@/lib/queries/incident-page";
import type { IncidentItem, IncidentList } from "@/lib/queries/incidents";
import { pagedListQueryString, incidentsQueryKey } from "@/lib/query-keys";
import { formatInTimeZone } from "@/lib/time/format";
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

export const ACTION_LABELS: Record<IncidentAction, string> = {
  acknowledge: "Acknowledge",
  resolve: "Resolve",
  reopen: "Reopen",
  snooze: "Snooze",
  unsnooze: "Unsnooze",
  ignore: "Ignore",
};
const BULK_LABELS: Record<BulkActionName, string> = { ...ACTION_LABELS, assign: "Assign" };
/** What the bulk result says was done. */
const BULK_DONE: Record<BulkActionName, string> = {
  acknowledge: "Acknowledged",
  resolve: "Resolved",
  reopen: "Reopened",
  snooze: "Snoozed",
  unsnooze: "Unsnoozed",
  ignore: "Ignored",
  assign: "Assigned",
};

const unknown = <span className="muted">unknown</span>;

function columns(tz: string, select: { enabled: boolean; isSelected: (id: number) => boolean; toggle: (id: number) => void }): ColumnDef<IncidentItem, unknown>[] {
  const time = (iso: string) => <span title={iso}>{formatInTimeZone(Date.parse(iso), tz, "full")}</span>;
  const all: Array<ColumnDef<IncidentItem, unknown> | false> = [
    select.enabled && {
      id: "select",
      header: () => <span className="sr-only">Select</span>,
      enableSorting: false,
      cell: ({ row }) => (
        <input
          type="checkbox"
          aria-label={`Select incident ${row.original.id}`}
          checked={select.isSelected(row.original.id)}
          onClick={(e) => e.stopPropagation()}
          onChange={() => select.toggle(row.original.id)}
        />
      ),
    },
    { id: "status", header: "Status", enableSorting: false, cell: ({ row }) => <IncidentStatus incident={row.original} /> },
    {
      id: "reason",
      header: "Reason",
      enableSorting: false,
      cell: ({ row }) => (
        <span className="reason-cell">
          {row.original.reasonLabel}
          <code>{row.original.reason}</code>
        </span>
      ),
    },
    { id: "line", header: "Line", enableSorting: false, cell: ({ row }) => <LineName line={row.original.line} /> },
    { id: "template", header: "Template", enableSorting: false, cell: ({ row }) => row.original.template ?? unknown },
    // TanStack Table offers sorting only on columns with an accessor; the server does the sorting.
    { id: "count", header: "Failures", accessorFn: (r) => r.count, enableSorting: true, cell: ({ row }) => row.original.count.toLocaleString("en-US") },
    { id: "contacts", header: "Contacts", enableSorting: false, cell: ({ row }) => row.original.contacts.toLocaleString("en-US") },
    { id: "firstSeen", header: `First seen (${tz})`, accessorFn: (r) => r.firstSeen, enableSorting: true, cell: ({ row }) => time(row.original.firstSeen) },
    { id: "lastSeen", header: `Last seen (${tz})`, accessorFn: (r) => r.lastSeen, enableSorting: true, cell: ({ row }) => time(row.original.lastSeen) },
    {
      id: "assignee",
      header: "Assignee",
      enableSorting: false,
      cell: ({ row }) => (row.original.assignee ? <span title={row.original.assignee.email}>{row.original.assignee.name}</span> : <span className="muted">—</span>),
    },
    {
      id: "acknowledgedBy",
      header: "Acknowledged by",
      enableSorting: false,
      // Kept as history after a resolve; an open incident (new or reopened) is nobody's yet.
      cell: ({ row }) => (row.original.status === "open" ? null : row.original.acknowledgedBy) ?? <span className="muted">—</span>,
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
          const why = pending.request.action === "assign" ? "already assigned so" : "their status did not allow it";
          setMessage(`${BULK_DONE[pending.request.action]} ${result.updated.toLocaleString("en-US")} incident${result.updated === 1 ? "" : "s"}${result.skipped ? `; ${result.skipped.toLocaleString("en-US")} skipped (${why})` : ""}.`);
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
        <p className="muted small" data-testid="default-status-note">
          Needs attention: open incidents, including regressed and escalating ones. Acknowledged, snoozed, resolved and ignored ones are under their tabs.
        </p>
      )}
      {canAct && (
        <div className="actions bulk-bar" data-testid="bulk-bar">
          <span>
            {selection.allMatching ? (
              <>All <strong data-testid="selected-count">{selectedCount.toLocaleString("en-US")}</strong> incidents matching the filters are selected.</>
            ) : (
              <><strong data-testid="selected-count">{selectedCount}</strong> selected.</>
            )}
          </span>
          {total !== undefined && total > 0 && !selection.allMatching && (
            <button type="button" className="link" data-testid="select-all-matching" onClick={() => setSelection({ view: filterQuery, ids: [], allMatching: true })}>
              Select all matching the filter ({total.toLocaleString("en-US")})
            </button>
          )}
          {selectedCount > 0 && (
            <>
              {BULK_ACTIONS.map((action) => (
                <button key={action} type="button" onClick={() => prepare(action)} data-testid={`bulk-${action}`}>
                  {BULK_LABELS[action]}…
                </button>
              ))}
              <button type="button" className="link" onClick={() => setSelection({ view: filterQuery, ids: [], allMatching: false })}>
                Clear selection
              </button>
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
        columns={columns(tz, { enabled: canAct, isSelected: (id) => selection.allMatching || selection.ids.includes(id), toggle })}
        rows={list.data?.items}
        isPending={list.isPending}
        error={list.isError ? list.error : null}
        onRetry={() => void list.refetch()}
        rowKey={(r) => String(r.id)}
        sorting={sorting}
        onSortingChange={onSortingChange}
        onRowClick={(row) => router.push(`/incidents/${row.id}?${filterQuery}`)}
        emptyMessage="No incidents match these filters in this range."
        paging={paging(list.data)}
      />
      {pending && (
        <NoteDialog
          title={`${BULK_LABELS[pending.request.action]} incidents`}
          confirmLabel={pending.count ? `${BULK_LABELS[pending.request.action]} ${pending.count.updated.toLocaleString("en-US")}` : "Counting…"}
          busy={bulk.isPending || !pending.count || pending.count.updated === 0 || (pending.request.action === "snooze" && !snoozeRequest)}
          error={pending.error}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        >
          {pending.request.action === "snooze" && <SnoozeChoice value={snooze} onChange={setSnooze} />}
          {pending.request.action === "assign" && (
            <label className="inline-form">
              Assign to
              <select aria-label="Assign to" value={pending.request.userId ?? ""} onChange={(e) => prepare("assign", e.target.value || null)}>
                <option value="">Nobody (unassign)</option>
                {assignees.data?.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.id === currentUserId ? `Me (${u.email})` : u.email}
                  </option>
                ))}
              </select>
            </label>
          )}
          <p data-testid="bulk-confirm-count">
            {pending.count
              ? `${BULK_LABELS[pending.request.action]} ${pending.count.updated.toLocaleString("en-US")} of ${(pending.count.updated + pending.count.skipped).toLocaleString("en-US")} selected incident${pending.count.updated + pending.count.skipped === 1 ? "" : "s"}${pending.count.skipped ? `; ${pending.count.skipped.toLocaleString("en-US")} will be skipped because ${pending.request.action === "assign" ? "they are already assigned so" : "their status does not allow it"}` : ""}.`
              : "Counting the incidents this will change…"}
          </p>
        </NoteDialog>
      )}
    </>
  );
}
