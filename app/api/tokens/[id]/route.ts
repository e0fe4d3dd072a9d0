import { clientIp } from "@/lib/auth/client-ip";
import { revokeApiToken } from "@/lib/auth/tokens";
import { jsonRoute } from "@/lib/http/route";
import { parseId } from "@/lib/validate";

export const dynamic = "force-dynamic";

/** Revokes the token. */
export const DELETE = jsonRoute({ role: "admin" }, async (request, user, { params }: { params: Promise<{ id: string }> }) => {
  await revokeApiToken(parseId((await params).id), { actor: user, ip: clientIp(request.headers) });
  return { ok: true };
});
