import { HydrationBoundary } from "@tanstack/react-query";
import { FailuresTable } from "@/components/failures/failures-table";
import { failuresQueryKey } from "@/lib/query-keys";
import { parseFailurePage } from "@/lib/queries/failure-page";
import { runRead } from "@/lib/read/pool";
import { InvalidFilters } from "../invalid-filters";
import { pageFilters, prefetchPagedList, type SearchParams } from "../page-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function FailuresPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePageUser();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const prefetched = await prefetchPagedList(searchParams, page, { parsePaging: parseFailurePage, queryKey: failuresQueryKey, load: (filters, paging) => runRead("failures", { filters, page: paging }, { user: user.id }) });
  if (!prefetched.ok) return <InvalidFilters message={prefetched.message} />;
  return (
    <HydrationBoundary state={prefetched.state}>
      <h1 className="page-title">Failures</h1>
      <FailuresTable serverTz={page.tz} />
    </HydrationBoundary>
  );
}
