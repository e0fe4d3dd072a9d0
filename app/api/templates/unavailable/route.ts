import { jsonRoute } from "@/lib/http/route";
import { runRead } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/** Templates that are PAUSED, DISABLED or REJECTED now (their latest hsm.status). */
export const GET = jsonRoute({ role: "viewer" }, async (_request, user) => ({ items: await runRead("unavailableTemplates", undefined, { user: user.id }) }));
