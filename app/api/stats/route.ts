import { parseFilters } from "@/lib/filters";
import { InvalidInputError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { labelStats } from "@/lib/lines/labels";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (request, user) => {
  const params = new URL(request.url).searchParams;
  const afterId = params.get("afterId");
  if (afterId !== null && !/^\d{1,15}$/.test(afterId)) {
    throw new InvalidInputError("afterId must be a failure id", [{ path: "afterId", message: "must be a non-negative integer" }], "invalid_parameter");
  }
  return labelStats(await runRead("stats", { filters: parseFilters(params), options: { afterId: afterId === null ? undefined : Number(afterId) } }, { user: user.id }));
});
