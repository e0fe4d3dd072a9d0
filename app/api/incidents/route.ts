import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { parseIncidentPage } from "@/lib/queries/incident-page";
import { listIncidents } from "@/lib/queries/incidents";

export const dynamic = "force-dynamic";

/** The shared filter parameters (status defaults to open; assignee=me is the caller) + sort, dir, limit, cursor; with the tabs' `counts`. */
export const GET = jsonRoute({ role: "viewer" }, (request, user) => {
  const params = new URL(request.url).searchParams;
  return listIncidents(parseFilters(params), parseIncidentPage(params), user.id);
});
