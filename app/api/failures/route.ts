import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { parseFailurePage } from "@/lib/queries/failure-page";
import { listFailures } from "@/lib/queries/failures";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, (request) => {
  const params = new URL(request.url).searchParams;
  return listFailures(parseFilters(params), parseFailurePage(params));
});
