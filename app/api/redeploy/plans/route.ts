import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { created } from "@/lib/http/respond";
import { jsonRoute, responseRoute } from "@/lib/http/route";
import { createPlan } from "@/lib/redeploy/create-plan";
import { listPlans } from "@/lib/redeploy/plans";

export const dynamic = "force-dynamic";

/** Plans, newest first: `?before=<id>&limit=1..200`. */
export const GET = jsonRoute({ role: "operator" }, (request) => listPlans(new URL(request.url).searchParams));

/** Creates a draft plan (the dry run). Body: {filter|incidentId, include?, sendAt?, line?} → 201. */
export const POST = responseRoute({ role: "operator" }, async (request, user) =>
  created(await createPlan(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) })),
);
