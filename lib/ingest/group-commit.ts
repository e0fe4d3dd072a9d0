import type Database from "better-sqlite3";
import type { DbHandle } from "@/db/client";
import type { Engine, Queryable } from "@/db/engine";
import { isStorageUnavailable } from "@/db/errors";
import { isRetryableConflict } from "@/db/pg/engine";
import { SqliteEngine, sqliteDialect } from "@/db/sqlite/engine";
import { runSteps, runStepsOn } from "@/db/steps";
import { writeRequests, type PreparedEvent, type StoreResult } from "./store";

/**
 * Group commit: requests that arrive while the process is busy share one transaction, so one
 * fsync (SQLite synchronous=FULL) or one round of COMMIT (PostgreSQL) covers all of them and
 * counters are written once per commit. Nobody is answered before the shared COMMIT returns, and
 * each request still succeeds or fails whole. The rules are the same on both engines
 * (`writeRequests`); SQLite runs them synchronously, PostgreSQL in an engine transaction.
 */
interface Pending {
  events: readonly PreparedEvent[];
  resolve: (result: StoreResult) => void;
  reject: (err: unknown) => void;
}

/** One request's outcome in a group: its result, or the error that rolled back its events alone. */
export type Outcome = StoreResult | { error: unknown };

/** Upper bound of events per shared transaction, to keep each commit short for readers. */
const MAX_EVENTS_PER_COMMIT = 5000;

/** The queue every committer shares: who is waiting, taken a group at a time. */
export abstract class Committer {
  private queue: Pending[] = [];
  private scheduled = false;

  submit(events: readonly PreparedEvent[]): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Events are validated before they are queued, so a write error is rare: `commit` tries the
   * whole group as one plain transaction first, and only if that throws redoes it with a savepoint
   * per request, so a failing request rolls back alone and the others still commit. It throws
   * when nothing of the group is stored (the COMMIT itself failed, or the storage is unavailable).
   */
  protected abstract commit(requests: ReadonlyArray<readonly PreparedEvent[]>): Outcome[] | Promise<Outcome[]>;

  private async drain(): Promise<void> {
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
        results = await this.commit(group.map((p) => p.events));
      } catch (err) {
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

/**
 * How a group is written on one SQLite connection, synchronously, with prepared statements: the
 * whole group in one IMMEDIATE transaction, or after an error each request in a savepoint of its
 * own. Throws when nothing is stored. Used on the server's thread and in the ingest worker.
 */
export function sqliteGroupWriter(sqlite: Database.Database): (requests: ReadonlyArray<readonly PreparedEvent[]>) => Outcome[] {
  const together = sqlite.transaction((requests: ReadonlyArray<readonly PreparedEvent[]>) => runSteps(sqlite, writeRequests(sqliteDialect, requests)));
  // A nested better-sqlite3 transaction is a savepoint.
  const perRequest = sqlite.transaction((events: readonly PreparedEvent[]) => runSteps(sqlite, writeRequests(sqliteDialect, [events]))[0]!);
  const isolated = sqlite.transaction((requests: ReadonlyArray<readonly PreparedEvent[]>) =>
    requests.map((events): Outcome => {
      try {
        return perRequest(events);
      } catch (error) {
        return { error };
      }
    }),
  );
  return (requests) => {
    try {
      // IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before any statement runs.
      return together.immediate(requests);
    } catch (err) {
      // A storage outage (locked, full, read-only) fails every request alike: retrying them one by
      // one would only wait out busy_timeout again for each.
      if (isStorageUnavailable(err)) throw err;
      return isolated.immediate(requests);
    }
  };
}

/** On one SQLite connection of this thread (scripts, tests; the server writes in its ingest worker). */
class SqliteCommitter extends Committer {
  private readonly write: (requests: ReadonlyArray<readonly PreparedEvent[]>) => Outcome[];

  constructor(sqlite: Database.Database) {
    super();
    this.write = sqliteGroupWriter(sqlite);
  }

  protected commit(requests: ReadonlyArray<readonly PreparedEvent[]>): Outcome[] {
    return this.write(requests);
  }
}

/**
 * On an engine (PostgreSQL): one engine transaction per group, one group at a time per process;
 * requests arriving meanwhile form the next group. The engine runs a transaction again after a
 * deadlock with another instance: the rules are rebuilt from the events each time.
 */
class EngineCommitter extends Committer {
  constructor(private readonly engine: Engine) {
    super();
  }

  protected async commit(requests: ReadonlyArray<readonly PreparedEvent[]>): Promise<Outcome[]> {
    try {
      return await this.engine.transaction((tx) => runStepsOn(tx, writeRequests(tx.dialect, requests)));
    } catch (err) {
      // An outage (read-only, a lock not granted within lock_timeout) fails every request alike,
      // as on SQLite: retrying them one by one would only wait out lock_timeout again for each.
      if (isRetryableConflict(err) || isStorageUnavailable(err)) throw err;
      return this.engine.transaction(async (tx) => {
        const outcomes: Outcome[] = [];
        for (const events of requests) outcomes.push(await this.inSavepoint(tx, events));
        return outcomes;
      });
    }
  }

  private async inSavepoint(tx: Queryable, events: readonly PreparedEvent[]): Promise<Outcome> {
    await tx.exec("SAVEPOINT ingest_request");
    try {
      const [result] = await runStepsOn(tx, writeRequests(tx.dialect, [events]));
      await tx.exec("RELEASE SAVEPOINT ingest_request");
      return result!;
    } catch (error) {
      // A deadlock is the transaction's, not this request's: the engine runs it all again.
      if (isRetryableConflict(error)) throw error;
      await tx.exec("ROLLBACK TO SAVEPOINT ingest_request");
      return { error };
    }
  }
}

const committers = new WeakMap<object, Committer>();

function committerOf(key: object, create: () => Committer): Committer {
  let committer = committers.get(key);
  if (!committer) committers.set(key, (committer = create()));
  return committer;
}

/** Stores a request's events durably in SQLite, batched with concurrent requests into one commit. */
export function commitEvents(handle: Pick<DbHandle, "sqlite">, events: readonly PreparedEvent[]): Promise<StoreResult> {
  return committerOf(handle.sqlite, () => new SqliteCommitter(handle.sqlite)).submit(events);
}

/**
 * The same on an engine: through the committer installed for it (the server's ingest worker),
 * else SQLite's synchronous committer on its connection, else an engine transaction per group.
 */
export function commitEventsTo(engine: Engine, events: readonly PreparedEvent[]): Promise<StoreResult> {
  const installed = committers.get(engine);
  if (installed) return installed.submit(events);
  if (engine instanceof SqliteEngine) return commitEvents({ sqlite: engine.sqlite }, events);
  return committerOf(engine, () => new EngineCommitter(engine)).submit(events);
}

/** From now on `engine`'s events are committed by `committer`; `undefined` restores the default. */
export function commitThrough(engine: Engine, committer: Committer | undefined): void {
  if (committer) committers.set(engine, committer);
  else committers.delete(engine);
}
