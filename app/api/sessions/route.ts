import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { listClosedSessions } from "@/lib/queries/sessions";

export const dynamic = "force-dynamic";

/** Sessions closed in the window (same filters as everywhere; line and template apply): ?limit=1..500&cursor=. */
export const GET = jsonRoute({ role: "viewer" }, (request) => {
  const params = new URL(request.url).searchParams;
  return listClosedSessions(parseFilters(params), { limit: params.get("limit"), cursor: params.get("cursor") });
});
