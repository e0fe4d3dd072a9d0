import type Database from "better-sqlite3";
import type { DbHandle } from "@/db/client";
import { writeEvents, type PreparedEvent, type StoreResult } from "./store";

/**
 * Group commit: requests that arrive while the event loop is busy share one transaction, so one
 * fsync (synchronous=FULL) covers all of them. Each request still succeeds or fails as a whole
 * (its own savepoint), and nobody is answered before the shared COMMIT returns.
 */
interface Pending {
  events: readonly PreparedEvent[];
  resolve: (result: StoreResult) => void;
  reject: (err: unknown) => void;
}

/** Upper bound of events per shared transaction, to keep each commit short for readers. */
const MAX_EVENTS_PER_COMMIT = 5000;

class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly commitGroup: (group: Pending[]) => Array<StoreResult | { error: unknown }>;

  constructor(private readonly sqlite: Database.Database) {
    const perRequest = sqlite.transaction((events: readonly PreparedEvent[]) => writeEvents(sqlite, events));
    this.commitGroup = sqlite.transaction((group: Pending[]) =>
      group.map((p) => {
        try {
          // Nested better-sqlite3 transaction = SAVEPOINT: a failing request rolls back alone.
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

  private flush(): void {
    while (this.queue.length) {
      const group: Pending[] = [];
      let size = 0;
      while (this.queue.length && size < MAX_EVENTS_PER_COMMIT) {
        const next = this.queue.shift()!;
        group.push(next);
        size += next.events.length;
      }
      let results: Array<StoreResult | { error: unknown }>;
      try {
        results = this.commitGroup(group);
      } catch (err) {
        // The shared COMMIT failed (disk full, locked, read-only): nothing of this group is stored.
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
