import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { FailuresTable } from "@/components/failures/failures-table";
import { failuresQueryKey, failuresQueryString } from "@/lib/query-keys";
import { AppError } from "@/lib/http/errors";
import { parseFailurePage } from "@/lib/queries/failure-page";
import { listFailures } from "@/lib/queries/failures";
import { InvalidFilters } from "../invalid-filters";
import { pageFilters, type SearchParams } from "../page-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function FailuresPage({ searchParams }: { searchParams: SearchParams }) {
  await requirePageUser();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(await searchParams)) if (typeof value === "string") params.set(key, value);
  const queryClient = new QueryClient();
  try {
    const paging = parseFailurePage(params);
    const key = failuresQueryKey(failuresQueryString(page.filters, page.tz, {}, { ...paging, cursor: paging.cursor ?? null }));
    queryClient.setQueryData(key, listFailures({ ...page.filters, tz: page.tz }, paging));
  } catch (err) {
    if (err instanceof AppError) return <InvalidFilters message={err.message} />;
    throw err;
  }
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <h1 className="page-title">Failures</h1>
      <FailuresTable serverTz={page.tz} />
    </HydrationBoundary>
  );
}
