import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { headers } from "next/headers";
import { QuarantineBanner } from "@/components/events/quarantine-banner";
import { UnavailableTemplates } from "@/components/events/unavailable-templates";
import { Onboarding } from "@/components/onboarding";
import { labelStats } from "@/lib/lines/labels";
import { runRead } from "@/lib/read/pool";
import { statsQueryKey } from "@/lib/query-keys";
import { Overview } from "./overview";
import { pageFilters, prefetchRead, type SearchParams } from "./page-filters";
import { InvalidFilters } from "./invalid-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function OverviewPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  if (!(await runRead("hasReceivedEvents", undefined))) {
    const h = await headers();
    const proto = h.get("x-forwarded-proto") ?? "http";
    return <Onboarding origin={`${proto}://${h.get("host") ?? "localhost:3000"}`} />;
  }
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const read = await prefetchRead(runRead("stats", { filters: page.filters, options: { defaultTz: page.tz } }, { user: user.id }));
  const stats = read && labelStats(read);
  const openedAtFailureId = stats?.latestFailureId ?? (await runRead("latestFailureId", undefined));
  const queryClient = new QueryClient();
  if (stats) queryClient.setQueryData(statsQueryKey(page.queryString, openedAtFailureId), { ...stats, newSinceAfterId: 0 });
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <QuarantineBanner count={await runRead("quarantineCount", undefined)} admin={user.role === "admin"} />
      <UnavailableTemplates serverTz={page.tz} />
      <Overview serverTz={page.tz} openedAtFailureId={openedAtFailureId} />
    </HydrationBoundary>
  );
}
