import { QueryTimeoutError, TooManyRequestsError } from "@/lib/http/errors";
import type { ReadName } from "./reads";

/** What both read paths (SQLite's worker threads, PostgreSQL's read pool) share: the per-user cap and the deadline's answer. */

export const MAX_HEAVY_READS_PER_USER = 2;
/** What a refused user is told to wait: heavy reads mostly finish within a second or two. */
const RETRY_AFTER_SECONDS = 1;
/** Reads of a few rows by key: not counted against the per-user cap. */
const LIGHT_READS: ReadonlySet<string> = new Set<ReadName>(["failure", "incident", "templateStatusHistory", "unavailableTemplates", "quarantineCount", "hasReceivedEvents", "latestFailureId"]);

export const isHeavyRead = (name: string): boolean => !LIGHT_READS.has(name);

export interface ReadCaller {
  /** Who asks (user id): heavy reads are capped per user. Omitted for the server's own reads. */
  user?: string;
}

export function timeoutError(timeoutMs: number): QueryTimeoutError {
  const seconds = Math.round(timeoutMs / 100) / 10;
  return new QueryTimeoutError(`This query took longer than ${seconds} s and was stopped. Narrow the time window or the filters, then retry.`);
}

/** Heavy reads in flight per user (queued, running or streaming), at most MAX_HEAVY_READS_PER_USER each. */
export class HeavyReads {
  private readonly byUser = new Map<string, number>();

  /** Counts one read for `caller` (heavy ones only); throws 429 past the cap. Returns its release (idempotent). */
  take(heavy: boolean, caller: ReadCaller): () => void {
    const user = caller.user;
    if (!heavy || user === undefined) return () => {};
    const running = this.byUser.get(user) ?? 0;
    if (running >= MAX_HEAVY_READS_PER_USER) {
      throw new TooManyRequestsError(
        `You already have ${MAX_HEAVY_READS_PER_USER} heavy reads running; retry in ${RETRY_AFTER_SECONDS} s.`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.byUser.set(user, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.byUser.get(user) ?? 1) - 1;
      if (left > 0) this.byUser.set(user, left);
      else this.byUser.delete(user);
    };
  }

  of(user: string): number {
    return this.byUser.get(user) ?? 0;
  }
}
