import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { ignoreIncident } from "@/lib/incidents/ignore";

export const dynamic = "force-dynamic";

/** Body: {"note"?: string}. Answers the updated incident; 409 with `current` when its status does not allow this. */
export const POST = jsonRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  ignoreIncident((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
