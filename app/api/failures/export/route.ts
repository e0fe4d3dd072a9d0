import { parseExportRequest } from "@/lib/export/options";
import { csvResponse } from "@/lib/http/csv-response";
import { json } from "@/lib/http/respond";
import { responseRoute } from "@/lib/http/route";
import { runRead, streamExport } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/** The failures of the dashboard's filters as CSV; `count=1` answers `{ rows, at }` instead. */
export const GET = responseRoute({ role: "operator" }, async (request, user) => {
  const exportRequest = parseExportRequest(new URL(request.url).searchParams);
  if (exportRequest.count) return json({ rows: await runRead("failureExportCount", { request: exportRequest }, { user: user.id }), at: new Date(exportRequest.at).toISOString() });
  return csvResponse(await streamExport("failures", { request: exportRequest }, { user: user.id, bom: exportRequest.bom, gzip: exportRequest.gzip }));
});
