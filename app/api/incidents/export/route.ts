import { countIncidentExport, incidentExport } from "@/lib/export/incidents";
import { parseExportRequest } from "@/lib/export/options";
import { csvResponse } from "@/lib/http/csv-response";
import { responseRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** The incidents of the dashboard's filters as CSV; `count=1` answers `{ rows }` instead. */
export const GET = responseRoute({ role: "operator" }, (request, user) => {
  const exportRequest = parseExportRequest(new URL(request.url).searchParams);
  if (exportRequest.count) return Response.json({ rows: countIncidentExport(exportRequest, user.id) }, { headers: { "Cache-Control": "no-store" } });
  return csvResponse(incidentExport(exportRequest, user.id), exportRequest);
});
