import { InvalidFilters } from "../invalid-filters";
import { pageFilters, type SearchParams } from "../page-filters";
import { ReasonsCatalogue } from "./reasons-catalogue";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function ReasonsPage({ searchParams }: { searchParams: SearchParams }) {
  await requirePageUser();
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  return (
    <>
      <h1 className="page-title">Reasons</h1>
      <ReasonsCatalogue serverTz={page.tz} />
    </>
  );
}
