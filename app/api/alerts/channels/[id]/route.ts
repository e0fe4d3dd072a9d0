import { deleteChannel, updateChannel } from "@/lib/alerts/channels";
import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { parseId } from "@/lib/validate";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** Body: any of {"name","enabled","url","to"}; `{"enabled":false}` pauses the channel. */
export const PATCH = jsonRoute({ role: "admin" }, async (request, user, { params }: Context) =>
  updateChannel(parseId((await params).id), await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);

export const DELETE = jsonRoute({ role: "admin" }, async (request, user, { params }: Context) => {
  await deleteChannel(parseId((await params).id), { actor: user, ip: clientIp(request.headers) });
  return { ok: true };
});
