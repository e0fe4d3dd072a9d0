import { getTranslations } from "next-intl/server";
import { requirePageUser } from "@/lib/auth/page";
import { InvalidFilters } from "../invalid-filters";
import { pageFilters, type SearchParams } from "../page-filters";
import { ReasonsCatalogue } from "./reasons-catalogue";

export const dynamic = "force-dynamic";

export default async function ReasonsPage({ searchParams }: { searchParams: SearchParams }) {
  await requirePageUser();
  const t = await getTranslations("nav");
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("reasons")}</h1>
      <ReasonsCatalogue serverTz={page.tz} />
    </>
  );
}
