import { getTranslations } from "next-intl/server";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, type SearchParams } from "../../page-filters";
import { TemplateView } from "./template-view";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function TemplatePage({ params, searchParams }: { params: Promise<{ template: string }>; searchParams: SearchParams }) {
  await requirePageUser();
  const t = await getTranslations("slice");
  const template = decodeURIComponent((await params).template);
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">
        {t.rich("templateTitle", { template, name: (chunks) => <span data-testid="slice-name">{chunks}</span> })}
      </h1>
      <TemplateView serverTz={page.tz} template={template} />
    </>
  );
}
