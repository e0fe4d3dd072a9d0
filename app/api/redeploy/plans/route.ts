import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute, responseRoute } from "@/lib/http/route";
import { createPlan } from "@/lib/redeploy/create-plan";
import { listPlans } from "@/lib/redeploy/plans";

export const dynamic = "force-dynamic";

/** Plans, newest first: `?before=<id>&limit=1..200`. */
export const GET = jsonRoute({ role: "operator" }, (request) => {
  const params = new URL(request.url).searchParams;
  return listPlans({ before: params.get("before"), limit: params.get("limit") });
});

/** Creates a draft plan (the dry run). Body: {filter|incidentId, include?, sendAt?, line?} → 201. */
export const POST = responseRoute({ role: "operator" }, async (request, user) =>
  Response.json(await createPlan(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }), { status: 201, headers: { "Cache-Control": "no-store" } }),
);
