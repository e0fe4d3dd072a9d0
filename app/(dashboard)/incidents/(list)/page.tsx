import { HydrationBoundary } from "@tanstack/react-query";
import { getTranslations } from "next-intl/server";
import { IncidentsExport } from "@/components/export/incidents-export";
import { IncidentsTable } from "@/components/incidents/incidents-table";
import { Panel } from "@/components/panel-boundary";
import { requirePageUser } from "@/lib/auth/page";
import { hasRole } from "@/lib/auth/roles";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { runRead } from "@/lib/read/pool";
import { incidentsQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, prefetchPagedList, type PageFilters, type SearchParams } from "../../page-filters";

export const dynamic = "force-dynamic";

export default async function IncidentsPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  const t = await getTranslations("nav");
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("incidents")}</h1>
      <IncidentsExport serverTz={page.tz} />
      <Panel what="incidents" height={360}>
        <IncidentsPanel searchParams={searchParams} page={page} userId={user.id} canAct={hasRole(user.role, "operator")} />
      </Panel>
    </>
  );
}

/** The table, streamed in after the page shell with its own loading and error state. */
async function IncidentsPanel({ searchParams, page, userId, canAct }: { searchParams: SearchParams; page: Extract<PageFilters, { ok: true }>; userId: string; canAct: boolean }) {
  const prefetched = await prefetchPagedList(searchParams, page, { parsePaging: parseIncidentPage, queryKey: incidentsQueryKey, load: (filters, paging) => runRead("incidents", { filters, page: paging, viewerId: userId }, { user: userId }) });
  if (!prefetched.ok) return <InvalidFilters message={prefetched.message} />;
  return (
    <HydrationBoundary state={prefetched.state}>
      <IncidentsTable serverTz={page.tz} canAct={canAct} currentUserId={userId} />
    </HydrationBoundary>
  );
}
