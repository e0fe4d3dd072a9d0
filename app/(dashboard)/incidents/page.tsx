import { HydrationBoundary } from "@tanstack/react-query";
import { IncidentsExport } from "@/components/export/incidents-export";
import { IncidentsTable } from "@/components/incidents/incidents-table";
import { requirePageUser } from "@/lib/auth/page";
import { hasRole } from "@/lib/auth/roles";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { runRead } from "@/lib/read/pool";
import { incidentsQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "../invalid-filters";
import { pageFilters, prefetchPagedList, type SearchParams } from "../page-filters";

export const dynamic = "force-dynamic";

export default async function IncidentsPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const prefetched = await prefetchPagedList(searchParams, page, { parsePaging: parseIncidentPage, queryKey: incidentsQueryKey, load: (filters, paging) => runRead("incidents", { filters, page: paging, viewerId: user.id }, { user: user.id }) });
  if (!prefetched.ok) return <InvalidFilters message={prefetched.message} />;
  return (
    <HydrationBoundary state={prefetched.state}>
      <h1 className="page-title">Incidents</h1>
      <IncidentsExport serverTz={page.tz} />
      <IncidentsTable serverTz={page.tz} canAct={hasRole(user.role, "operator")} currentUserId={user.id} />
    </HydrationBoundary>
  );
}
