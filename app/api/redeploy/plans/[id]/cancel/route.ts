import { clientIp } from "@/lib/auth/client-ip";
import { jsonRoute } from "@/lib/http/route";
import { changePlan } from "@/lib/redeploy/actions";

export const dynamic = "force-dynamic";

/** Cancel the plan; 409 with `current` when its status does not allow it. */
export const POST = jsonRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  changePlan("cancel", (await params).id, { actor: user, ip: clientIp(request.headers) }),
);
