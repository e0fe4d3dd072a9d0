import { jsonRoute } from "@/lib/http/route";
import { getIncident } from "@/lib/queries/incidents";

export const dynamic = "force-dynamic";

export const GET = jsonRoute({ role: "viewer" }, async (_request, _user, { params }: { params: Promise<{ id: string }> }) => getIncident((await params).id));
