import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { labelFacets } from "@/lib/lines/labels";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (request, user) => labelFacets(await runRead("facets", { filters: parseFilters(new URL(request.url).searchParams) }, { user: user.id })));
