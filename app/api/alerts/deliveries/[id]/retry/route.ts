import { retryDelivery } from "@/lib/alerts/deliveries";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** "Retry now": due at once; 409 with `current` when it was already delivered. */
export const POST = jsonRoute({ role: "admin" }, async (_request, _user, { params }: { params: Promise<{ id: string }> }) => retryDelivery((await params).id));
