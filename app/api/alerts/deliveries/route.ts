import { listDeliveries } from "@/lib/alerts/deliveries";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** ?limit=1..500&cursor= → {"items":[…], "nextCursor"}, newest first. */
export const GET = jsonRoute({ role: "admin" }, (request) => listDeliveries(new URL(request.url).searchParams));
