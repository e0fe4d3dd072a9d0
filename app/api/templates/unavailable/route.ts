import { jsonRoute } from "@/lib/http/route";
import { getUnavailableTemplates } from "@/lib/queries/templates";

export const dynamic = "force-dynamic";

/** Templates that are PAUSED, DISABLED or REJECTED now (their latest hsm.status). */
export const GET = jsonRoute({ role: "viewer" }, () => ({ items: getUnavailableTemplates() }));
