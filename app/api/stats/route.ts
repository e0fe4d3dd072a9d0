import { parseFilters } from "@/lib/filters";
import { InvalidInputError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { labelStats } from "@/lib/lines/labels";
import { getStats } from "@/lib/queries/stats";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, (request) => {
  const params = new URL(request.url).searchParams;
  const afterId = params.get("afterId");
  if (afterId !== null && !/^\d{1,15}$/.test(afterId)) {
    throw new InvalidInputError("afterId must be a failure id", [{ path: "afterId", message: "must be a non-negative integer" }], "invalid_parameter");
  }
  return labelStats(getStats(parseFilters(params), { afterId: afterId === null ? undefined : Number(afterId) }));
});
