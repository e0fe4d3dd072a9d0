import { jsonRoute } from "@/lib/http/route";
import { listLineLabels } from "@/lib/lines/labels";

export const dynamic = "force-dynamic";

/** Every labelled line: {"items": [{"line", "label", "updatedAt"}]}. */
export const GET = jsonRoute({ role: "viewer" }, () => listLineLabels());
