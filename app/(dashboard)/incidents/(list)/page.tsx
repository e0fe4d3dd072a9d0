import { HydrationBoundary } from "@tanstack/react-query";
import { getTranslations } from "next-intl/server";
import { IncidentsExport } from "@/components/export/incidents-export";
import { IncidentsTable } from "@/components/incidents/incidents-table";
import { requirePageUser } from "@/lib/auth/page";
import { hasRole } from "@/lib/auth/roles";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { listIncidents } from "@/lib/queries/incidents";
import { incidentsQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, prefetchPagedList, type SearchParams } from "../../page-filters";

export const dynamic = "force-dynamic";

export default async function IncidentsPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  const t = await getTranslations("nav");
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const prefetched = await prefetchPagedList(searchParams, page, { parsePaging: parseIncidentPage, queryKey: incidentsQueryKey, load: (filters, paging) => listIncidents(filters, paging, user.id) });
  if (!prefetched.ok) return <InvalidFilters message={prefetched.message} />;
  return (
    <HydrationBoundary state={prefetched.state}>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("incidents")}</h1>
      <IncidentsExport serverTz={page.tz} />
      <IncidentsTable serverTz={page.tz} canAct={hasRole(user.role, "operator")} currentUserId={user.id} />
    </HydrationBoundary>
  );
}
