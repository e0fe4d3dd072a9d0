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

/** Status, plus "regressed" when a failure reopened it after it was resolved, and "escalating". */
export function IncidentStatus({ incident }: { incident: Pick<IncidentItem, "status" | "regressed" | "escalating"> }) {
  const t = useTranslations("incidentStatus");
  return (
    <span className="inline-flex flex-wrap items-center gap-1 whitespace-nowrap">
      <Badge variant={STATUS_VARIANT[incident.status]} data-testid="incident-status" data-status={incident.status}>
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
