"use client";

import { useTranslations } from "next-intl";
import { Badge } from "@/components/ui/badge";
import type { IncidentItem } from "@/lib/queries/incidents";
import type { IncidentStatus as Status } from "@/lib/incidents/statuses";

const STATUS_VARIANT: Record<Status, "destructive" | "warning" | "success" | "secondary" | "muted"> = {
  open: "destructive",
  acknowledged: "warning",
  resolved: "success",
  snoozed: "secondary",
  ignored: "muted",
};

/**
 * Status, plus "regressed" when a failure reopened it after it was resolved, and "escalating".
 * `testIds` is off where the status only links to its incident (failure rows), so each incident
 * view has one status to find.
 */
export function IncidentStatus({ incident, testIds = true }: { incident: Pick<IncidentItem, "status" | "regressed" | "escalating">; testIds?: boolean }) {
  const t = useTranslations("incidentStatus");
  return (
    <span className="inline-flex flex-wrap items-center gap-1 whitespace-nowrap">
      <Badge variant={STATUS_VARIANT[incident.status]} data-testid={testIds ? "incident-status" : undefined} data-status={incident.status}>
        {t(incident.status)}
      </Badge>
      {incident.regressed && (
        <Badge variant="outline" data-testid="regressed-badge" title={t("regressedWhy")}>
          {t("regressed")}
        </Badge>
      )}
      {incident.escalating && (
        <Badge variant="destructive" className="font-semibold" data-testid="escalating-badge" title={t("escalatingWhy")}>
          {t("escalating")}
        </Badge>
      )}
    </span>
  );
}
