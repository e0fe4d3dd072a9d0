import { deleteRule, getRule, updateRule } from "@/lib/alerts/rules";
import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { parseId } from "@/lib/validate";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

export const GET = jsonRoute({ role: "admin" }, async (_request, _user, { params }: Context) => getRule(parseId((await params).id)));

/** Body: any fields of a rule; the result is validated whole. */
export const PATCH = jsonRoute({ role: "admin" }, async (request, user, { params }: Context) =>
  updateRule(parseId((await params).id), await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);

export const DELETE = jsonRoute({ role: "admin" }, async (request, user, { params }: Context) => {
  await deleteRule(parseId((await params).id), { actor: user, ip: clientIp(request.headers) });
  return { ok: true };
});
