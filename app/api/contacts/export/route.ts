import { contactExport, countContactExport } from "@/lib/export/contacts";
import { parseContactList, parseExportRequest } from "@/lib/export/options";
import { csvResponse } from "@/lib/http/csv-response";
import { responseRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** The retry or suppression list (`list=retry|suppress`) of the dashboard's filters as CSV; `count=1` answers `{ rows }`. */
export const GET = responseRoute({ role: "operator" }, (request) => {
  const params = new URL(request.url).searchParams;
  const list = parseContactList(params);
  const exportRequest = parseExportRequest(params);
  if (exportRequest.count) return Response.json({ rows: countContactExport(list, exportRequest) }, { headers: { "Cache-Control": "no-store" } });
  return csvResponse(contactExport(list, exportRequest), exportRequest);
});
