import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { setLineLabel } from "@/lib/lines/labels";

export const dynamic = "force-dynamic";

/** Body {"label": "…" | null} (null removes it). Answers {"line", "label"}, the line as failures store it. */
export const PUT = jsonRoute({ role: "operator" }, async (request, user, { params }: { params: Promise<{ line: string }> }) =>
  setLineLabel((await params).line, await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
