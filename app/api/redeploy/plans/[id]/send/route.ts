import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { json } from "@/lib/http/respond";
import { responseRoute } from "@/lib/http/route";
import { sendPlan } from "@/lib/redeploy/actions";

export const dynamic = "force-dynamic";

/** Body {"confirm": N} (the plan's number of contacts) → 202; the plan is sent in the background. */
export const POST = responseRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  json(await sendPlan((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }), 202),
);
