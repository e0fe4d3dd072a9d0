import { clientIp } from "@/lib/auth/client-ip";
import { publicOrigin } from "@/lib/http/public-origin";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { rotateWebhookSecret, webhookSecretStatus, webhookUrl, type WebhookSecretStatus } from "@/lib/ingest/webhook-secret";

export const dynamic = "force-dynamic";

const withUrl = (request: Request, status: WebhookSecretStatus) => ({ ...status, url: webhookUrl(publicOrigin(request.headers), status.secret) });

/** The secret, where it comes from, the full webhook URL, and until when the previous one works. */
export const GET = jsonRoute({ role: "admin" }, async (request) => withUrl(request, await webhookSecretStatus()));

/** Rotates the secret. Body: {"graceHours": 0|1|24|168}. */
export const POST = jsonRoute({ role: "admin" }, async (request, user) =>
  withUrl(request, await rotateWebhookSecret(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) })),
);
