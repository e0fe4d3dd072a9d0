import { parseContactList, parseExportRequest } from "@/lib/export/options";
import { csvResponse } from "@/lib/http/csv-response";
import { json } from "@/lib/http/respond";
import { responseRoute } from "@/lib/http/route";
import { runRead, streamExport } from "@/lib/read/pool";

export const dynamic = "force-dynamic";

/**
 * The retry or suppression list (`list=retry|suppress`) of the dashboard's filters as CSV; `count=1`
 * answers `{ rows, at }` (`quick=1`: rows null rather than a long count, lib/export/contacts.ts).
 */
export const GET = responseRoute({ role: "operator" }, async (request, user) => {
  const params = new URL(request.url).searchParams;
  const list = parseContactList(params);
  const exportRequest = parseExportRequest(params);
  if (exportRequest.count) return json({ ...(await runRead("contactExportCount", { list, request: exportRequest }, { user: user.id })), at: new Date(exportRequest.at).toISOString() });
  return csvResponse(await streamExport("contacts", { list, request: exportRequest }, { user: user.id, bom: exportRequest.bom, gzip: exportRequest.gzip }));
});
