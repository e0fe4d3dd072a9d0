import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { created } from "@/lib/http/respond";
import { responseRoute } from "@/lib/http/route";
import { commentOnIncident } from "@/lib/incidents/comment";

export const dynamic = "force-dynamic";

/** Body: {"text": 1..2000 characters} → 201 with the new activity entry (action `commented`). */
export const POST = responseRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  created(await commentOnIncident((await params).id, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) })),
);
