import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { parseFailurePage } from "@/lib/queries/failure-page";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, (request, user) => {
  const params = new URL(request.url).searchParams;
  return runRead("failures", { filters: parseFilters(params), page: parseFailurePage(params) }, { user: user.id });
});
