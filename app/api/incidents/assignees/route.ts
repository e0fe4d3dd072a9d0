import { jsonRoute } from "@/lib/http/route";
import { listAssignees } from "@/lib/incidents/assign";

export const dynamic = "force-dynamic";

/** Enabled users incidents can be assigned to: {"items": [{"id", "email", "name"}]}. */
export const GET = jsonRoute({ role: "viewer" }, async () => ({ items: await listAssignees() }));
