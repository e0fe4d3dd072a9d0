import { jsonRoute } from "@/lib/http/route";
import { listQuarantined } from "@/lib/queries/quarantine";

export const dynamic = "force-dynamic";

/** Quarantined events, newest first: ?limit=1..500&cursor=. */
export const GET = jsonRoute({ role: "admin" }, (request) => {
  const params = new URL(request.url).searchParams;
  return listQuarantined({ limit: params.get("limit"), cursor: params.get("cursor") });
});
