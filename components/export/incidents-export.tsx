"use client";

import { useTranslations } from "next-intl";
import { useFilters } from "@/components/filters/use-filters";
import { useHasRole } from "@/components/session-role";
import { ExportButton } from "./export-button";

/** CSV of the incidents the list shows (same filters and default statuses), for operators. */
export function IncidentsExport({ serverTz }: { serverTz: string }) {
  const t = useTranslations("export");
  const { queryString } = useFilters(serverTz);
  if (!useHasRole("operator")) return null;
  return (
    <div className="mb-2 flex justify-end gap-2">
      <ExportButton href={`/api/incidents/export?${queryString}`} label={t("incidentsCsv")} testId="export-incidents" />
    </div>
  );
}
