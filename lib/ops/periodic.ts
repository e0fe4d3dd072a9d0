import { logger } from "@/lib/log";

/**
 * Runs `job` now (synchronously up to its first await) and every `everyMs` after, until the
 * returned function is called. A run still going when the next tick comes makes that tick skip;
 * a failed run (e.g. the database is locked, the disk is full) is logged as "`what` failed" and
 * retried at the next tick. The timer never keeps the process alive.
 */
export function runPeriodically(what: string, everyMs: number, job: (first: boolean) => void | Promise<void>): () => void {
  let running = false;
  const run = async (first: boolean) => {
    if (running) return;
    running = true;
    try {
      await job(first);
    } catch (err) {
      logger().warn({ err: (err as Error).message }, `${what} failed; retrying at the next run`);
    } finally {
      running = false;
    }
  };
  void run(true);
  const timer = setInterval(() => void run(false), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Lets queued webhook commits run between two batches of a background job. */
export const yieldToIngest = () => new Promise<void>((resolve) => setImmediate(resolve));
