import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { redeploySettings, updateRedeploySettings } from "@/lib/redeploy/settings";

export const dynamic = "force-dynamic";

/** Whether re-deployment is on, the API key masked and where it comes from. */
export const GET = jsonRoute({ role: "operator" }, () => redeploySettings());

/** Admins: {"enabled"?: boolean, "apiKey"?: string | null}. */
export const PATCH = jsonRoute({ role: "admin" }, async (request, user) =>
  updateRedeploySettings(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
