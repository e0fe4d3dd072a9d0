import { addRecommendedRules } from "@/lib/alerts/rules";
import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { created } from "@/lib/http/respond";
import { responseRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Body: {"channelIds"?: [...] (default: every enabled channel), "tz"?: IANA zone of the digest}. 201 {"items":[created rules]}. */
export const POST = responseRoute({ role: "admin" }, async (request, user) =>
  created(await addRecommendedRules(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) })),
);
