import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { WriterUnavailableError } from "@/db/errors";
import { logger } from "@/lib/log";
import { fromWire, type WireError } from "@/lib/read/protocol";
import { RESPAWN_PAUSE_MS, workerScript } from "@/lib/workers/script";
import { Committer, sqliteGroupWriter, type Outcome } from "./group-commit";
import type { PreparedEvent, StoreResult } from "./store";

export interface IngestWorkerOptions {
  databasePath: string;
  /** How long a commit waits for another connection's write lock (default LOCK_WAIT_MS; tests wait less). */
  lockWaitMs?: number;
}

export type ToIngestWorker = { type: "commit"; id: number; requests: ReadonlyArray<readonly PreparedEvent[]> } | { type: "close" };

/** How the thread answers one commit. */
type CommitAnswer = { type: "committed"; id: number; outcomes: Array<StoreResult | { error: WireError }> } | { type: "failed"; id: number; error: WireError };

export type FromIngestWorker = { type: "ready" } | CommitAnswer;

/** One thread and the commit it is running. */
class Thread {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  dead = false;
  started = false;
  diedAt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: CommitAnswer) => void; reject: (err: Error) => void }>();

  constructor(options: IngestWorkerOptions, entry: string | undefined) {
    const script = workerScript("ingest-worker", options, entry);
    this.worker = new Worker(/* turbopackIgnore: true */ script.file, { workerData: script.workerData });
    // The server's listening socket keeps the process alive, not this thread (tests, scripts).
    this.worker.unref();
    let started!: { resolve: () => void; reject: (err: Error) => void };
    this.ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    this.ready.catch(() => {});
    this.worker.on("message", (message: FromIngestWorker) => {
      if (message.type === "ready") {
        this.started = true;
        return started.resolve();
      }
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiting?.resolve(message);
    });
    this.worker.on("error", (err) => logger().error({ err }, "ingest worker failed"));
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", (code) => {
        this.dead = true;
        this.diedAt = Date.now();
        const err = new WriterUnavailableError(`the ingest worker exited (${code})`);
        started.reject(err);
        for (const waiting of this.pending.values()) waiting.reject(err);
        this.pending.clear();
        resolve();
      }),
    );
  }

  commit(requests: ReadonlyArray<readonly PreparedEvent[]>): Promise<CommitAnswer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "commit", id, requests } satisfies ToIngestWorker);
    });
  }
}

/**
 * A group of at most this many events is written on the calling thread's connection instead
 * (webhooks arriving one at a time): handing it over and back would cost more than writing it,
 * and on a busy machine its answer would wait for both threads to be scheduled.
 */
export const INLINE_MAX_EVENTS = 4;

/**
 * Group commit on a thread of its own (the server's SQLite ingest): the thread that answers
 * webhooks parses, checks and queues events, and while a group is written to SQLite on this
 * worker's connection it keeps receiving the next group. Small groups (a quiet stream) are written
 * on `inline`, the calling thread's connection, when one is given. Either way a request is
 * answered once its group's COMMIT returned, and only one group is written at a time. A worker that
 * dies fails its group with a retryable error (503) and is replaced by the next group's commit.
 */
export class IngestWorker extends Committer {
  private thread: Thread;
  private closed = false;
  /** Groups written so far, on the worker's thread and inline (the shutdown log says both). */
  readonly written = { onWorker: 0, inline: 0 };
  private readonly writeInline?: (requests: ReadonlyArray<readonly PreparedEvent[]>) => Outcome[];
  private readonly entry?: string;

  constructor(
    private readonly options: IngestWorkerOptions,
    local: {
      /** The calling thread's connection, for small groups. */
      inline?: Database.Database;
      /** The worker's source module when not in production (tests only). */
      entry?: string;
    } = {},
  ) {
    super();
    this.entry = local.entry;
    if (local.inline) this.writeInline = sqliteGroupWriter(local.inline);
    this.thread = new Thread(options, this.entry);
  }

  /** Resolves once the worker has opened its connection (rejects if it could not). */
  ready(): Promise<void> {
    return this.thread.ready;
  }

  protected async commit(requests: ReadonlyArray<readonly PreparedEvent[]>): Promise<Outcome[]> {
    if (this.closed) throw new WriterUnavailableError("the ingest worker is closed");
    if (this.writeInline && requests.reduce((n, events) => n + events.length, 0) <= INLINE_MAX_EVENTS) {
      const outcomes = this.writeInline(requests);
      this.written.inline++;
      return outcomes;
    }
    if (this.thread.dead) {
      // One that could not even open the database is not retried for every group (no crash loop).
      if (!this.thread.started && Date.now() - this.thread.diedAt < RESPAWN_PAUSE_MS) throw new WriterUnavailableError("the ingest worker could not start");
      this.thread = new Thread(this.options, this.entry);
    }
    await this.thread.ready;
    const answer = await this.thread.commit(requests);
    if (answer.type === "failed") throw fromWire(answer.error);
    this.written.onWorker++;
    return answer.outcomes.map((o) => ("error" in o ? { error: fromWire(o.error) } : o));
  }

  /** Closes the worker's connection after the commit it may be running; later commits fail. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.thread.dead) return;
    this.thread.worker.postMessage({ type: "close" } satisfies ToIngestWorker);
    await this.thread.exited;
  }
}
