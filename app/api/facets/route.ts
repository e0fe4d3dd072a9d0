import { parseFilters } from "@/lib/filters";
import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, (request, user) => runRead("facets", { filters: parseFilters(new URL(request.url).searchParams) }, { user: user.id }));
