import { getDb } from "@/db/client";
import { clientIp } from "@/lib/auth/client-ip";
import { revokeApiToken } from "@/lib/auth/tokens";
import { InvalidInputError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Revokes the token. */
export const DELETE = jsonRoute({ role: "admin" }, async (request, user, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  if (!/^\d{1,15}$/.test(id)) throw new InvalidInputError("id must be a token id", [{ path: "id", message: "must be a positive integer" }], "invalid_parameter");
  revokeApiToken(getDb().db, Number(id), { actor: user, ip: clientIp(request.headers) });
  return { ok: true };
});
