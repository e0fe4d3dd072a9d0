import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { IncidentsExport } from "@/components/export/incidents-export";
import { IncidentsTable } from "@/components/incidents/incidents-table";
import { requirePageUser } from "@/lib/auth/page";
import { hasRole } from "@/lib/auth/roles";
import { AppError } from "@/lib/http/errors";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { listIncidents } from "@/lib/queries/incidents";
import { failuresQueryString, incidentsQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "../invalid-filters";
import { pageFilters, type SearchParams } from "../page-filters";

export const dynamic = "force-dynamic";

export default async function IncidentsPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(await searchParams)) if (typeof value === "string") params.set(key, value);
  const queryClient = new QueryClient();
  try {
    const paging = parseIncidentPage(params);
    const key = incidentsQueryKey(failuresQueryString(page.filters, page.tz, {}, { ...paging, cursor: paging.cursor ?? null }));
    queryClient.setQueryData(key, listIncidents({ ...page.filters, tz: page.tz }, paging));
  } catch (err) {
    if (err instanceof AppError) return <InvalidFilters message={err.message} />;
    throw err;
  }
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <h1 className="page-title">Incidents</h1>
      <IncidentsExport serverTz={page.tz} />
      <IncidentsTable serverTz={page.tz} canAct={hasRole(user.role, "operator")} />
    </HydrationBoundary>
  );
}
