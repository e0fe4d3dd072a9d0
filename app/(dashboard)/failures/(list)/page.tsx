import { HydrationBoundary } from "@tanstack/react-query";
import { getTranslations } from "next-intl/server";
import { FailuresTable } from "@/components/failures/failures-table";
import { Panel } from "@/components/panel-boundary";
import { failuresQueryKey } from "@/lib/query-keys";
import { parseFailurePage } from "@/lib/queries/failure-page";
import { runRead } from "@/lib/read/pool";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, prefetchPagedList, type PageFilters, type SearchParams } from "../../page-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function FailuresPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  const t = await getTranslations("nav");
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("failures")}</h1>
      <Panel what="failures" height={360}>
        <FailuresPanel searchParams={searchParams} page={page} userId={user.id} />
      </Panel>
    </>
  );
}

/** The table, streamed in after the page shell with its own loading and error state. */
async function FailuresPanel({ searchParams, page, userId }: { searchParams: SearchParams; page: Extract<PageFilters, { ok: true }>; userId: string }) {
  const prefetched = await prefetchPagedList(searchParams, page, { parsePaging: parseFailurePage, queryKey: failuresQueryKey, load: (filters, paging) => runRead("failures", { filters, page: paging }, { user: userId }) });
  if (!prefetched.ok) return <InvalidFilters message={prefetched.message} />;
  return (
    <HydrationBoundary state={prefetched.state}>
      <FailuresTable serverTz={page.tz} />
    </HydrationBoundary>
  );
}
