import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { labelFacets } from "@/lib/lines/labels";
import { getFacets } from "@/lib/queries/facets";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, (request) => labelFacets(getFacets(parseFilters(new URL(request.url).searchParams))));
