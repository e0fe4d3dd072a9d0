import { createChannel, listChannels } from "@/lib/alerts/channels";
import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { created } from "@/lib/http/respond";
import { jsonRoute, responseRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Channels with URLs masked and no secrets, each with its last success and last error. */
export const GET = jsonRoute({ role: "admin" }, async () => ({ items: await listChannels() }));

/** Body: {"type":"webhook"|"slack"|"teams","name","url"} or {"type":"email","name","to":[…]}. 201; a webhook's secret is shown once. */
export const POST = responseRoute({ role: "admin" }, async (request, user) =>
  created(await createChannel(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) })),
);
