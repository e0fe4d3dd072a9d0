import { testChannel } from "@/lib/alerts/channels";
import { jsonRoute } from "@/lib/http/route";
import { parseId } from "@/lib/validate";

export const dynamic = "force-dynamic";

/** Sends a test notification: 200 {"ok":true,"status":<receiver's status>} or 502 delivery_failed. */
export const POST = jsonRoute({ role: "admin" }, async (_request, _user, { params }: { params: Promise<{ id: string }> }) => testChannel(parseId((await params).id)));
