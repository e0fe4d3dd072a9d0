import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { unsnoozeIncident } from "@/lib/incidents/unsnooze";

export const dynamic = "force-dynamic";

/** Body: {"note"?: string}. Answers the updated incident; 409 with `current` when its status does not allow this. */
export const POST = jsonRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  unsnoozeIncident((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
