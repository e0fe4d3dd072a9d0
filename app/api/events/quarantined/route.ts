import { jsonRoute } from "@/lib/http/route";
import { parseKeysetPage } from "@/lib/queries/page";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/** Quarantined events, newest first: ?limit=1..500 (default 100)&cursor=. */
export const GET = jsonRoute({ role: "admin" }, (request, user) =>
  runRead("quarantined", { page: parseKeysetPage(new URL(request.url).searchParams, 100) }, { user: user.id }),
);
