import { listAudit } from "@/lib/auth/audit";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Newest first; ?before=<id>&limit=<1–500> pages back. */
export const GET = jsonRoute({ role: "admin" }, (request) => listAudit(new URL(request.url).searchParams));
