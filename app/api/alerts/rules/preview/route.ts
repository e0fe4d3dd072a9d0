import { previewRule } from "@/lib/alerts/preview";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Body: a rule. {"notifications": N, "days": 7}: what it would have sent over the last 7 days. */
export const POST = jsonRoute({ role: "admin" }, async (request) => previewRule(await readJsonObject(request)));
