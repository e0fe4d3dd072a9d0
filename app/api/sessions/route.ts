import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { parseKeysetPage } from "@/lib/queries/page";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/** Sessions closed in the window (same filters as everywhere; line and template apply): ?limit=1..500&cursor=. */
export const GET = jsonRoute({ role: "viewer" }, (request, user) => {
  const params = new URL(request.url).searchParams;
  return runRead("closedSessions", { filters: parseFilters(params), page: parseKeysetPage(params, 50), now: Date.now() }, { user: user.id });
});
