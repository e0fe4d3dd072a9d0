import { handleWebhook } from "@/lib/ingest/handle-webhook";
import { readWebBody } from "@/lib/http/read-web-body";
import { toResponse } from "@/lib/http/respond";

// In production the custom server (lib/server) answers this path before Next sees it; this route
// serves the same handler under `next dev` and anywhere Next runs alone.
export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  const answer = await handleWebhook({
    method: request.method,
    query: new URL(request.url).searchParams,
    header: (name) => request.headers.get(name) ?? undefined,
    readBody: (limit) => readWebBody(request, limit),
  });
  return toResponse({ ...answer, headers: { "Cache-Control": "no-store", ...answer.headers } });
}

export const POST = handle;
export const GET = handle;
