import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { assignIncident } from "@/lib/incidents/assign";

export const dynamic = "force-dynamic";

/** Body: {"userId": "<user id>" | null}. Answers the incident with its `assignee`; 400 for an unknown or disabled user. */
export const POST = jsonRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  assignIncident((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
