/**
 * A CSV download: the export's byte stream (see streamExport in lib/read/pool.ts) sent as the
 * client reads it, with a file name that survives every browser (an ASCII fallback plus the
 * exact UTF-8 name per RFC 6266); with `gzip`, the compressed file itself (`.csv.gz`).
 * `no-transform` keeps the server from compressing the stream on the fly: that would run on the
 * thread that answers webhooks and in libuv's pool at full priority (`gzip=1` compresses in the
 * export's own, lower-priority worker instead).
 */
export function csvResponse(exp: { filename: string; body: ReadableStream<Uint8Array>; gzip: boolean }): Response {
  const filename = exp.gzip ? `${exp.filename}.gz` : exp.filename;
  const ascii = filename.normalize("NFKD").replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "_");
  return new Response(exp.body, {
    headers: {
      "Content-Type": exp.gzip ? "application/gzip" : "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
      "Cache-Control": "no-store, no-transform",
      // Proxies such as nginx would otherwise buffer the whole stream before sending it on.
      "X-Accel-Buffering": "no",
    },
  });
}
