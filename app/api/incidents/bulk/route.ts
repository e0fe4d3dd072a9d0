import { clientIp } from "@/lib/auth/client-ip";
import { bulkAction } from "@/lib/incidents/bulk";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Body: {"action", "ids"? | "filter"?, "note"?, "dryRun"?} → {"updated": N, "skipped": M}. */
export const POST = jsonRoute({ role: "operator" }, async (request, user) =>
  bulkAction(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
