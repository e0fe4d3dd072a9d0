import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { snoozeIncident } from "@/lib/incidents/snooze";

export const dynamic = "force-dynamic";

/**
 * Body: exactly one of {"until": ISO} | {"hours": 1..8760} | {"failures": 1..1000000} | {"untilEscalating": true},
 * plus {"note"?}. Answers the snoozed incident; 409 with `current` unless it is open or acknowledged.
 */
export const POST = jsonRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  snoozeIncident((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
