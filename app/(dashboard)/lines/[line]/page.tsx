import { getTranslations } from "next-intl/server";
import { ClosedSessions } from "@/components/events/closed-sessions";
import { LineName } from "@/components/line-name";
import { RenameLine } from "@/components/lines/rename-line";
import { SliceView } from "@/components/slice-view";
import { InvalidFilters } from "../../invalid-filters";
import { pageFilters, type SearchParams } from "../../page-filters";
import { requirePageUser } from "@/lib/auth/page";

export const dynamic = "force-dynamic";

export default async function LinePage({ params, searchParams }: { params: Promise<{ line: string }>; searchParams: SearchParams }) {
  await requirePageUser();
  const t = await getTranslations("slice");
  const line = decodeURIComponent((await params).line);
  const page = await pageFilters(searchParams);
  if (!page.ok) return <InvalidFilters message={page.message} />;
  return (
    <>
      <h1 className="mt-1 mb-3.5 flex flex-wrap items-center gap-x-2 text-xl font-semibold">
        {t.rich("lineTitle", { line, name: () => <span data-testid="slice-name"><LineName line={line} /></span> })}
        <RenameLine line={line} />
      </h1>
      <SliceView serverTz={page.tz} fixed={{ line: [line] }} />
      <ClosedSessions serverTz={page.tz} fixed={{ line: [line] }} />
    </>
  );
}
