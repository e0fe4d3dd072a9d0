import { rotateChannelSecret } from "@/lib/alerts/channels";
import { clientIp } from "@/lib/auth/client-ip";
import { jsonRoute } from "@/lib/http/route";
import { parseId } from "@/lib/validate";

export const dynamic = "force-dynamic";

/** A new signing secret for a webhook channel, shown once: {"secret":"whsec_…"}. */
export const POST = jsonRoute({ role: "admin" }, async (request, user, { params }: { params: Promise<{ id: string }> }) =>
  rotateChannelSecret(parseId((await params).id), { actor: user, ip: clientIp(request.headers) }),
);
