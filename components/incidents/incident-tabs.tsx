"use client";

import { useQueryState } from "nuqs";
import { useFilters } from "@/components/filters/use-filters";
import { ASSIGNED_TO_ME_STATUSES, type IncidentStatus } from "@/lib/incidents/statuses";
import type { IncidentCounts } from "@/lib/queries/incidents";
import { useAssignees } from "./use-incident-action";

type Tab = { key: string; label: string; status: IncidentStatus[] | null; assignee: string | null; count: (c: IncidentCounts) => number };

const TABS: Tab[] = [
  { key: "attention", label: "Needs attention", status: null, assignee: null, count: (c) => c.open },
  { key: "acknowledged", label: "Acknowledged", status: ["acknowledged"], assignee: null, count: (c) => c.acknowledged },
  { key: "snoozed", label: "Snoozed", status: ["snoozed"], assignee: null, count: (c) => c.snoozed },
  { key: "resolved", label: "Resolved", status: ["resolved"], assignee: null, count: (c) => c.resolved },
  { key: "ignored", label: "Ignored", status: ["ignored"], assignee: null, count: (c) => c.ignored },
  { key: "mine", label: "Assigned to me", status: [...ASSIGNED_TO_ME_STATUSES], assignee: "me", count: (c) => c.assignedToMe },
];

const sameStatuses = (a: readonly string[], b: readonly string[] | null) => (b === null ? a.length === 0 : a.length === b.length && b.every((s) => a.includes(s)));

/**
 * The incidents list's tabs, with how many incidents of the other filters each holds. A tab is
 * a status (and assignee) filter in the URL, so it is shareable and the back button works.
 * Beside them, the assignee filter: anyone, me, nobody or a named person.
 */
export function IncidentTabs({ counts }: { counts: IncidentCounts | undefined }) {
  const { filters, setFilters } = useFilters();
  // Another view starts at its first page.
  const [, setCursor] = useQueryState("cursor", { history: "push" });
  const assignees = useAssignees();
  const active = TABS.find((t) => sameStatuses(filters.status, t.status) && (filters.assignee ?? null) === t.assignee);
  return (
    <nav className="incident-tabs" aria-label="Incident views" data-testid="incident-tabs">
      {TABS.map((tab) => (
        <a
          key={tab.key}
          href="#"
          aria-current={active?.key === tab.key ? "page" : undefined}
          data-testid={`tab-${tab.key}`}
          onClick={(e) => {
            e.preventDefault();
            void setFilters({ status: tab.status, assignee: tab.assignee });
            void setCursor(null);
          }}
        >
          {tab.label}
          <span className="count" data-testid={`tab-${tab.key}-count`}>
            {counts ? tab.count(counts).toLocaleString("en-US") : "…"}
          </span>
        </a>
      ))}
      <label className="assignee-filter">
        Assignee
        <select aria-label="Assignee filter" value={filters.assignee ?? ""} onChange={(e) => {
            void setFilters({ assignee: e.target.value || null });
            void setCursor(null);
          }}>
          <option value="">Anyone</option>
          <option value="me">Me</option>
          <option value="none">Nobody</option>
          {assignees.data?.map((u) => (
            <option key={u.id} value={u.id}>
              {u.email}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
