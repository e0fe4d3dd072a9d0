/**
 * A CSV download: the export's byte stream (see streamExport in lib/read/pool.ts) sent as the
 * client reads it, with a file name that survives every browser (an ASCII fallback plus the
 * exact UTF-8 name per RFC 6266). A gzip body is labelled so, which also keeps the server from
 * compressing it again on the thread that answers webhooks.
 */
export function csvResponse(exp: { filename: string; body: ReadableStream<Uint8Array>; gzip: boolean }): Response {
  const ascii = exp.filename.normalize("NFKD").replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "_");
  return new Response(exp.body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(exp.filename)}`,
      "Cache-Control": "no-store",
      // Proxies such as nginx would otherwise buffer the whole stream before sending it on.
      "X-Accel-Buffering": "no",
      Vary: "Accept-Encoding",
      ...(exp.gzip ? { "Content-Encoding": "gzip" } : {}),
    },
  });
}
