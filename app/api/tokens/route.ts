import { clientIp } from "@/lib/auth/client-ip";
import { createApiToken, listApiTokens } from "@/lib/auth/tokens";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "admin" }, async () => ({ items: await listApiTokens() }));

/** Body: {"name": string, "userId"?: string (default: the caller)}. The answer holds the token, once. */
export const POST = jsonRoute({ role: "admin" }, async (request, user) => {
  const body = await readJsonObject(request);
  return createApiToken({ name: body.name, userId: body.userId ?? user.id }, { actor: user, ip: clientIp(request.headers) });
});
