import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { notFound } from "next/navigation";
import { IncidentDetailView } from "@/components/incidents/incident-detail";
import { requirePageUser } from "@/lib/auth/page";
import { hasRole } from "@/lib/auth/roles";
import { AppError } from "@/lib/http/errors";
import { runRead } from "@/lib/read/pool";
import { incidentQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, type SearchParams } from "../../page-filters";

export const dynamic = "force-dynamic";

export default async function IncidentPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: SearchParams }) {
  const user = await requirePageUser();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const queryClient = new QueryClient();
  let incident;
  try {
    incident = await runRead("incident", { id: (await params).id }, { user: user.id });
  } catch (err) {
    // An unknown or malformed id is a page that does not exist.
    if (err instanceof AppError) notFound();
    throw err;
  }
  queryClient.setQueryData(incidentQueryKey(incident.id), incident);
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <IncidentDetailView id={incident.id} serverTz={page.tz} canAct={hasRole(user.role, "operator")} currentUserId={user.id} />
    </HydrationBoundary>
  );
}
