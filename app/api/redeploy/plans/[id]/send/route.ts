import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { responseRoute } from "@/lib/http/route";
import { sendPlan } from "@/lib/redeploy/actions";

export const dynamic = "force-dynamic";

/** Body {"confirm": N} (the plan's number of contacts) → 202; the plan is sent in the background. */
export const POST = responseRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  Response.json(sendPlan((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }), {
    status: 202,
    headers: { "Cache-Control": "no-store" },
  }),
);
