import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { reprocessQuarantined } from "@/lib/ingest/reprocess";

export const dynamic = "force-dynamic";

/** Body: {"scope":"quarantined"} → {processed, accepted, stillQuarantined}. */
export const POST = jsonRoute({ role: "admin" }, async (request, user) =>
  reprocessQuarantined(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
