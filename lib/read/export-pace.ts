import { getSettings } from "@/lib/config";

/**
 * One pace for every CSV export this process streams (EXPORT_MB_PER_S; off by default). Each
 * export reads and formats in a worker of its own, but its chunks reach their sockets through the
 * thread that answers webhooks: four full exports at full speed take enough of that thread (and of
 * 2 cores) to triple a webhook's p99 (bench:isolation at 10M: 19.7–21.3 ms under load, 5–6.5 ms
 * idle; 15.5–17.0 ms at 32 MB/s). Paced, their chunks take turns at `bytesPerMs` together — which
 * also slows a single export (10M rows at 32 MB/s: 4.55× sqlite3's own dump): an operator's choice.
 */
export class ExportPace {
  /** When the next chunk may be handed on (ms, the clock `delay` is given). */
  private next = 0;

  /** `bytesPerMs` ≤ 0: no pace. */
  constructor(private readonly bytesPerMs: number) {}

  /**
   * How long (ms) a chunk of `bytes` ready at `now` waits before it is handed on. It books its
   * turn at once, so chunks of concurrent exports queue behind each other; an idle pace keeps no
   * credit (no burst after a pause).
   */
  delay(bytes: number, now: number): number {
    if (this.bytesPerMs <= 0) return 0;
    const start = Math.max(now, this.next);
    this.next = start + bytes / this.bytesPerMs;
    return start - now;
  }
}

// One per process, shared by the server and by Next's route bundles (each has its own copy of this module).
const PACE = Symbol.for("faultline.exportPace");
type WithPace = typeof globalThis & { [PACE]?: ExportPace };

/** The process's export pace, from EXPORT_MB_PER_S (a MB per second is 1,000 bytes per ms). */
export function exportPace(): ExportPace {
  const g = globalThis as WithPace;
  return (g[PACE] ??= new ExportPace(getSettings().EXPORT_MB_PER_S * 1000));
}

/** Replaces the process's export pace (tests); undefined: from EXPORT_MB_PER_S again. */
export function useExportPace(pace: ExportPace | undefined): void {
  (globalThis as WithPace)[PACE] = pace;
}

/** Waits for this chunk's turn under the process's export pace. */
export async function awaitExportTurn(bytes: number): Promise<void> {
  const wait = exportPace().delay(bytes, performance.now());
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
