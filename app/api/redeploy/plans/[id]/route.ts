import { jsonRoute } from "@/lib/http/route";
import { getPlan } from "@/lib/redeploy/plans";

export const dynamic = "force-dynamic";

/** One plan with `progress`, `batches` and `followUp`. */
export const GET = jsonRoute({ role: "operator" }, async (_request, _user, { params }: { params: Promise<{ id: string }> }) => getPlan((await params).id));
