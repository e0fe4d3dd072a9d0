import { z } from "zod";
import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";
import { idParam, parseQuery } from "@/lib/validate";

export const dynamic = "force-dynamic";

/** `afterId`: the newest failure the page has shown (the answer counts what came after it). */
const statsParams = z.object({ afterId: idParam.optional() });

export const GET = jsonRoute({ role: "viewer" }, async (request, user) => {
  const params = new URL(request.url).searchParams;
  return runRead("stats", { filters: parseFilters(params), options: parseQuery(statsParams, params) }, { user: user.id });
});
