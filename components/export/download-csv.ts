import { fetchJson } from "@/lib/api-client";

/**
 * Starts a CSV export as the browser's own download: the browser streams the server's response
 * (Content-Disposition: attachment) straight to disk, so a file of any size never passes through
 * the page's memory, and the browser's download list shows its progress and lets the user cancel
 * it. First `count=1` asks how many rows the file will hold (and surfaces a refusal or a timeout
 * as the API's message, which a bare download could not show); the download then asks for the
 * window that was counted (`at`), so a preset that slid meanwhile does not change the rows.
 */
export async function startCsvDownload(url: string): Promise<{ rows: number }> {
  const counted = new URL(url, window.location.href);
  counted.searchParams.set("count", "1");
  const { rows, at } = await fetchJson<{ rows: number; at: string }>(counted.pathname + counted.search);
  const download = new URL(url, window.location.href);
  download.searchParams.set("at", at);
  const a = document.createElement("a");
  a.href = download.pathname + download.search;
  // Same origin: the file keeps the name the server gives it in Content-Disposition.
  a.download = "";
  document.body.append(a);
  a.click();
  a.remove();
  return { rows };
}
