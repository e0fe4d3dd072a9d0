"use client";

import { useFormatter, useTranslations } from "next-intl";
import { useQueryState } from "nuqs";
import { NativeSelect } from "@/components/ui/input";
import { tabLinkClass, tabsListClass } from "@/components/ui/tabs";
import { useFilters } from "@/components/filters/use-filters";
import { ASSIGNED_TO_ME_STATUSES, type IncidentStatus } from "@/lib/incidents/statuses";
import type { IncidentCounts } from "@/lib/queries/incidents";
import { useAssignees } from "./use-incident-action";

type Tab = { key: "attention" | "acknowledged" | "snoozed" | "resolved" | "ignored" | "mine"; status: IncidentStatus[] | null; assignee: string | null; count: (c: IncidentCounts) => number };

const TABS: Tab[] = [
  { key: "attention", status: null, assignee: null, count: (c) => c.open },
  { key: "acknowledged", status: ["acknowledged"], assignee: null, count: (c) => c.acknowledged },
  { key: "snoozed", status: ["snoozed"], assignee: null, count: (c) => c.snoozed },
  { key: "resolved", status: ["resolved"], assignee: null, count: (c) => c.resolved },
  { key: "ignored", status: ["ignored"], assignee: null, count: (c) => c.ignored },
  { key: "mine", status: [...ASSIGNED_TO_ME_STATUSES], assignee: "me", count: (c) => c.assignedToMe },
];

const sameStatuses = (a: readonly string[], b: readonly string[] | null) => (b === null ? a.length === 0 : a.length === b.length && b.every((s) => a.includes(s)));

/**
 * The incidents list's tabs, with how many incidents of the other filters each holds. A tab is
 * a status (and assignee) filter in the URL, so it is shareable and the back button works.
 * Beside them, the assignee filter: anyone, me, nobody or a named person.
 */
export function IncidentTabs({ counts }: { counts: IncidentCounts | undefined }) {
  const t = useTranslations("incidentTabs");
  const format = useFormatter();
  const { filters, setFilters } = useFilters();
  // Another view starts at its first page.
  const [, setCursor] = useQueryState("cursor", { history: "push" });
  const assignees = useAssignees();
  const active = TABS.find((tab) => sameStatuses(filters.status, tab.status) && (filters.assignee ?? null) === tab.assignee);
  return (
    <nav className="mb-3 flex flex-wrap items-center gap-2" aria-label={t("views")} data-testid="incident-tabs">
      <div className={tabsListClass}>
      {TABS.map((tab) => (
        <a
          key={tab.key}
          href="#"
          className={tabLinkClass}
          aria-current={active?.key === tab.key ? "page" : undefined}
          data-testid={`tab-${tab.key}`}
          onClick={(e) => {
            e.preventDefault();
            void setFilters({ status: tab.status, assignee: tab.assignee });
            void setCursor(null);
          }}
        >
          {t(tab.key)}
          <span className="tabular-nums" data-testid={`tab-${tab.key}-count`}>
            {counts ? format.number(tab.count(counts)) : "…"}
          </span>
        </a>
      ))}
      </div>
      <label className="ml-auto inline-flex items-center gap-1.5">
        {t("assignee")}
        <NativeSelect
          className="h-8"
          aria-label={t("assigneeFilter")}
          value={filters.assignee ?? ""}
          onChange={(e) => {
            void setFilters({ assignee: e.target.value || null });
            void setCursor(null);
          }}
        >
          <option value="">{t("anyone")}</option>
          <option value="me">{t("me")}</option>
          <option value="none">{t("nobody")}</option>
          {assignees.data?.map((u) => (
            <option key={u.id} value={u.id}>
              {u.email}
            </option>
          ))}
        </NativeSelect>
      </label>
    </nav>
  );
}
