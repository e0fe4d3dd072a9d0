import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { getIncidentSettings, updateIncidentSettings } from "@/lib/incidents/settings";

export const dynamic = "force-dynamic";

/** {"autoResolveAfterHours": null | 1..720} (default 24). */
export const GET = jsonRoute({ role: "admin" }, () => getIncidentSettings());

/** Body: {"autoResolveAfterHours": null | 1..720} → the settings now in effect. */
export const PUT = jsonRoute({ role: "admin" }, async (request, user) => updateIncidentSettings(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }));
