import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/** The shared filter parameters (status defaults to open; assignee=me is the caller) + sort, dir, limit, cursor; with the tabs' `counts`. */
export const GET = jsonRoute({ role: "viewer" }, (request, user) => {
  const params = new URL(request.url).searchParams;
  return runRead("incidents", { filters: parseFilters(params), page: parseIncidentPage(params), viewerId: user.id }, { user: user.id });
});
