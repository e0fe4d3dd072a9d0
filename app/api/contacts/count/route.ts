import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/**
 * The view's affected contacts counted exactly, `{ contacts, window }`: the overview's Count action
 * where its refresh leaves them uncounted (a status over many failures) — one heavy read, within the
 * read deadline (503 `query_timeout` past it).
 */
export const GET = jsonRoute({ role: "viewer" }, async (request, user) => {
  return runRead("contactCount", { filters: parseFilters(new URL(request.url).searchParams) }, { user: user.id });
});
