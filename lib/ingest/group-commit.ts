import type Database from "better-sqlite3";
import type { DbHandle } from "@/db/client";
import { isStorageUnavailable } from "@/db/errors";
import { newWriteBatch, writeEvents, type PreparedEvent, type StoreResult } from "./store";

/**
 * Group commit: requests that arrive while the event loop is busy share one transaction, so one
 * fsync (synchronous=FULL) covers all of them and counters are written once per commit. Nobody
 * is answered before the shared COMMIT returns, and each request still succeeds or fails whole.
 */
interface Pending {
  events: readonly PreparedEvent[];
  resolve: (result: StoreResult) => void;
  reject: (err: unknown) => void;
}

type Outcome = StoreResult | { error: unknown };

/** Upper bound of events per shared transaction, to keep each commit short for readers. */
const MAX_EVENTS_PER_COMMIT = 5000;

class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly commitTogether: Database.Transaction<(group: Pending[]) => Outcome[]>;
  private readonly commitIsolated: Database.Transaction<(group: Pending[]) => Outcome[]>;

  constructor(sqlite: Database.Database) {
    // Events are validated before they are queued, so a write error is rare: try the whole group
    // as one plain transaction first…
    this.commitTogether = sqlite.transaction((group: Pending[]) => {
      const batch = newWriteBatch(sqlite);
      const results = group.map((p) => writeEvents(sqlite, p.events, batch));
      batch.flush();
      return results;
    });
    // …and only if it throws, redo it with a savepoint per request, so a failing request rolls
    // back alone and the others still commit.
    const perRequest = sqlite.transaction((events: readonly PreparedEvent[]) => {
      const batch = newWriteBatch(sqlite);
      const result = writeEvents(sqlite, events, batch);
      batch.flush();
      return result;
    });
    this.commitIsolated = sqlite.transaction((group: Pending[]) =>
      group.map((p) => {
        try {
          return perRequest(p.events);
        } catch (error) {
          return { error };
        }
      }),
    );
  }

  submit(events: readonly PreparedEvent[]): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private commit(group: Pending[]): Outcome[] {
    try {
      // IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before any statement runs.
      return this.commitTogether.immediate(group);
    } catch (err) {
      // A storage outage (locked, full, read-only) fails every request alike: retrying them one by
      // one would only wait out busy_timeout again for each.
      if (isStorageUnavailable(err)) throw err;
      return this.commitIsolated.immediate(group);
    }
  }

  private flush(): void {
    while (this.queue.length) {
      const group: Pending[] = [];
      let size = 0;
      while (this.queue.length && size < MAX_EVENTS_PER_COMMIT) {
        const next = this.queue.shift()!;
        group.push(next);
        size += next.events.length;
      }
      let results: Outcome[];
      try {
        results = this.commit(group);
      } catch (err) {
        // The COMMIT itself failed (disk full, locked, read-only): nothing of this group is stored.
        for (const p of group) p.reject(err);
        continue;
      }
      group.forEach((p, i) => {
        const r = results[i]!;
        if ("error" in r) p.reject(r.error);
        else p.resolve(r);
      });
    }
    this.scheduled = false;
  }
}

const committers = new WeakMap<Database.Database, GroupCommitter>();

/** Stores a request's events durably, batched with concurrent requests into one commit. */
export function commitEvents(handle: DbHandle, events: readonly PreparedEvent[]): Promise<StoreResult> {
  let committer = committers.get(handle.sqlite);
  if (!committer) {
    committer = new GroupCommitter(handle.sqlite);
    committers.set(handle.sqlite, committer);
  }
  return committer.submit(events);
}
