import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { headers } from "next/headers";
import { QuarantineBanner } from "@/components/events/quarantine-banner";
import { UnavailableTemplates } from "@/components/events/unavailable-templates";
import { Onboarding } from "@/components/onboarding";
import { Panel } from "@/components/panel-boundary";
import { Skeleton } from "@/components/query-states";
import { requirePageUser } from "@/lib/auth/page";
import { runRead } from "@/lib/read/pool";
import { statsQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "./invalid-filters";
import { Overview } from "./overview";
import { pageFilters, prefetchRead, type PageFilters, type SearchParams } from "./page-filters";

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
  return (
    <>
      <QuarantineBanner count={await runRead("quarantineCount", undefined)} admin={user.role === "admin"} />
      <Panel what="templateStatuses" fallback={null}>
        <UnavailableTemplates serverTz={page.tz} />
      </Panel>
      <Panel what="overview" fallback={<OverviewSkeleton />}>
        <OverviewPanel page={page} userId={user.id} />
      </Panel>
    </>
  );
}

function OverviewSkeleton() {
  return (
    <div data-testid="overview-loading">
      <Skeleton height={84} what="overview" />
      <Skeleton height={260} what="timeline" />
    </div>
  );
}

/** Tiles, timeline and breakdowns: streamed in after the shell, with their own loading and error states. */
async function OverviewPanel({ page, userId }: { page: Extract<PageFilters, { ok: true }>; userId: string }) {
  const stats = await prefetchRead(runRead("stats", { filters: page.filters, options: { defaultTz: page.tz } }, { user: userId }));
  const openedAtFailureId = stats?.latestFailureId ?? (await runRead("latestFailureId", undefined));
  const queryClient = new QueryClient();
  if (stats) queryClient.setQueryData(statsQueryKey(page.queryString, openedAtFailureId), { ...stats, newSinceAfterId: 0 });
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <Overview serverTz={page.tz} openedAtFailureId={openedAtFailureId} />
    </HydrationBoundary>
  );
}
