"use client";

import { useFilters } from "@/components/filters/use-filters";
import { useHasRole } from "@/components/session-role";
import { ExportButton } from "./export-button";

/** CSV of the incidents the list shows (same filters and default statuses), for operators. */
export function IncidentsExport({ serverTz }: { serverTz: string }) {
  const { queryString } = useFilters(serverTz);
  if (!useHasRole("operator")) return null;
  return (
    <div className="table-toolbar">
      <ExportButton href={`/api/incidents/export?${queryString}`} label="Export incidents CSV" testId="export-incidents" />
    </div>
  );
}
