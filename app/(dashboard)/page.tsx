import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { headers } from "next/headers";
import { QuarantineBanner } from "@/components/events/quarantine-banner";
import { UnavailableTemplates } from "@/components/events/unavailable-templates";
import { Onboarding } from "@/components/onboarding";
import { labelStats } from "@/lib/lines/labels";
import { countQuarantined } from "@/lib/queries/quarantine";
import { getStats } from "@/lib/queries/stats";
import { hasReceivedEvents } from "@/lib/queries/summary";
import { statsQueryKey } from "@/lib/query-keys";
import { Overview } from "./overview";
import { pageFilters, type SearchParams } from "./page-filters";
import { InvalidFilters } from "./invalid-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function OverviewPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  if (!hasReceivedEvents()) {
    const h = await headers();
    const proto = h.get("x-forwarded-proto") ?? "http";
    return <Onboarding origin={`${proto}://${h.get("host") ?? "localhost:3000"}`} />;
  }
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const stats = labelStats(getStats(page.filters, { defaultTz: page.tz, afterId: undefined }));
  const openedAtFailureId = stats.latestFailureId;
  const queryClient = new QueryClient();
  queryClient.setQueryData(statsQueryKey(page.queryString, openedAtFailureId), { ...stats, newSinceAfterId: 0 });
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <QuarantineBanner count={countQuarantined()} admin={user.role === "admin"} />
      <UnavailableTemplates serverTz={page.tz} />
      <Overview serverTz={page.tz} openedAtFailureId={openedAtFailureId} />
    </HydrationBoundary>
  );
}
