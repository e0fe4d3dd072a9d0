import { clientIp } from "@/lib/auth/client-ip";
import { readJsonObject } from "@/lib/http/read-json";
import { jsonRoute } from "@/lib/http/route";
import { readFieldMapping, replaceFieldMapping } from "@/lib/ingest/field-mapping";

export const dynamic = "force-dynamic";

/** The field mapping: every key, each a list of dotted JSON paths (empty when unset). */
export const GET = jsonRoute({ role: "admin" }, () => readFieldMapping());

/** Replaces the whole mapping; keys left out are cleared. Answers the mapping as stored. */
export const PUT = jsonRoute({ role: "admin" }, async (request, user) =>
  replaceFieldMapping(await readJsonObject(request), { actor: user, ip: clientIp(request.headers) }),
);
