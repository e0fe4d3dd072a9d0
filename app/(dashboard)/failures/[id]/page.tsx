import { dehydrate, HydrationBoundary, QueryClient } from "@tanstack/react-query";
import { notFound } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { FailureDetail } from "@/components/failures/failure-detail";
import { filtersToSearchParams } from "@/lib/filters";
import { NotFoundError } from "@/lib/http/errors";
import { runRead } from "@/lib/read/pool";
import { failureQueryKey } from "@/lib/query-keys";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, type SearchParams } from "../../page-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function FailurePage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: SearchParams }) {
  const user = await requirePageUser();
  const t = await getTranslations("failures");
  const { id } = await params;
  if (!/^\d{1,15}$/.test(id)) notFound();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  const queryClient = new QueryClient();
  try {
    queryClient.setQueryData(failureQueryKey(Number(id)), await runRead("failure", { id: Number(id) }, { user: user.id }));
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    throw err;
  }
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("failureNumber", { id })}</h1>
      <FailureDetail id={Number(id)} tz={page.tz} filterQuery={filtersToSearchParams(page.filters).toString()} />
    </HydrationBoundary>
  );
}
