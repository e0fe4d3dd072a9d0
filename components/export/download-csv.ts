/**
 * Downloads a CSV export through fetch, so the page can show progress and cancel it: the body is
 * read chunk by chunk (counting records as they arrive), then saved under the server's file name.
 */
export interface DownloadProgress {
  rows: number;
}

/** The file name of a Content-Disposition header (the UTF-8 form when given). */
function filenameOf(disposition: string | null): string {
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? "")?.[1];
  if (utf8) return decodeURIComponent(utf8);
  return /filename="([^"]+)"/i.exec(disposition ?? "")?.[1] ?? "faultline-export.csv";
}

const CR = 13;
const LF = 10;

/**
 * Fetches `url` and saves the CSV. `onProgress` gets the data rows so far: records end in CRLF,
 * so CRLF pairs are counted (a cell holding a CRLF of its own would count twice; the file is
 * exact either way). Rejects with the API's message on an error answer, or an AbortError.
 */
export async function downloadCsv(url: string, signal: AbortSignal, onProgress: (p: DownloadProgress) => void): Promise<{ rows: number; filename: string }> {
  const response = await fetch(url, { signal });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `Export failed (${response.status})`);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let lines = 0;
  let previous = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value as Uint8Array<ArrayBuffer>);
    for (let i = 0; i < value.length; i++) {
      const byte = value[i]!;
      if (byte === LF && previous === CR) lines++;
      previous = byte;
    }
    onProgress({ rows: Math.max(0, lines - 1) });
  }
  const rows = Math.max(0, lines - 1);
  const filename = filenameOf(response.headers.get("content-disposition"));
  const href = URL.createObjectURL(new Blob(chunks, { type: "text/csv;charset=utf-8" }));
  try {
    const a = document.createElement("a");
    a.href = href;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // The click has handed the blob to the browser's download; the URL is no longer needed.
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }
  return { rows, filename };
}
