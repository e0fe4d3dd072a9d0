import { deleteChannel, parseId, updateChannel } from "@/lib/alerts/channels";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** Body: any of {"name","enabled","url","to"}; `{"enabled":false}` pauses the channel. */
export const PATCH = jsonRoute({ role: "admin" }, async (request, _user, { params }: Context) => updateChannel(parseId((await params).id), await readJsonObject(request)));

export const DELETE = jsonRoute({ role: "admin" }, async (_request, _user, { params }: Context) => {
  deleteChannel(parseId((await params).id));
  return { ok: true };
});
