import { clientIp } from "@/lib/auth/client-ip";
import { updateUser } from "@/lib/auth/users";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Body: {"role"?: "admin"|"operator"|"viewer", "disabled"?: boolean}. */
export const PATCH = jsonRoute({ role: "admin" }, async (request, user, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  return updateUser(id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) });
});
