import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/** Quarantined events, newest first: ?limit=1..500&cursor=. */
export const GET = jsonRoute({ role: "admin" }, (request, user) => {
  const params = new URL(request.url).searchParams;
  return runRead("quarantined", { limit: params.get("limit"), cursor: params.get("cursor") }, { user: user.id });
});
