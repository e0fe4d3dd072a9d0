import { createRule, listRules } from "@/lib/alerts/rules";
import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { created } from "@/lib/http/respond";
import { jsonRoute, responseRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "admin" }, async () => ({ items: await listRules() }));

/** Body: a rule (README, "Alerts"); 201 with its id; 400 naming the invalid field. */
export const POST = responseRoute({ role: "admin" }, async (request, user) =>
  created(await createRule(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) })),
);
