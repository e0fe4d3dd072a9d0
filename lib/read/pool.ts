import { Worker } from "node:worker_threads";
import { getDb, getEngine } from "@/db/client";
import { PgEngine } from "@/db/pg/engine";
import { getSettings } from "@/lib/config";
import { logger } from "@/lib/log";
import { RESPAWN_PAUSE_MS, workerScript } from "@/lib/workers/script";
import { asLocalError, fromWire, type ExportMessage, type FromWorker, type ToWorker, type WorkerOptions, type WorkerRequest } from "./protocol";
import { EngineReads } from "./engine-reads";
import { ExportRing } from "./export-ring";
import { HeavyReads, isHeavyRead, timeoutError, type ReadCaller } from "./heavy-reads";
import type { ExportArgs, ExportName, ReadArgs, ReadName, ReadResult } from "./reads";

export { MAX_HEAVY_READS_PER_USER, type ReadCaller } from "./heavy-reads";

/**
 * The read path, off the thread that answers webhooks: a small pool of worker threads, each
 * with its own read-only connection, runs the reads of lib/read/reads.ts; exports stream from a
 * worker of their own. Every read has a deadline (QUERY_TIMEOUT_MS, from the moment it is asked,
 * queueing included, once the workers have first started) and each user may have at most
 * MAX_HEAVY_READS_PER_USER heavy reads at once.
 */

export interface ReadPoolOptions {
  databasePath: string;
  /** Worker threads for queries (exports get one each besides). */
  size: number;
  timeoutMs: number;
  /**
   * The worker's source module when not in production (tests: lib/testing/slow-read-worker.ts);
   * production always runs the built dist/read-worker.mjs.
   */
  workerEntry?: string;
}

export interface ExportOptions extends ReadCaller {
  /** A byte-order mark first (spreadsheet programs read UTF-8 by it). */
  bom: boolean;
  /** The body as a gzip file (`gzip=1`), compressed by the export's worker. */
  gzip: boolean;
}


let nextRequestId = 1;

/** One worker thread and its requests in flight. */
class ReadWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (m: FromWorker) => void; reject: (err: Error) => void }>();
  dead = false;
  /** Whether it ever opened its connection (one that dies at birth is not replaced at once). */
  started = false;
  /** Resolves once the worker has opened its connection (rejects if it dies first). */
  readonly ready: Promise<void>;

  constructor(options: WorkerOptions, entry: string | undefined, onDeath: (worker: ReadWorker) => void) {
    const script = workerScript("read-worker", options, entry);
    this.worker = new Worker(/* turbopackIgnore: true */ script.file, { workerData: script.workerData });
    // An idle pool never keeps the process alive (tests, CLI scripts).
    this.worker.unref();
    let started!: { resolve: () => void; reject: (err: Error) => void };
    this.ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    // Nobody may be waiting for it: a worker that dies at birth is reported by its requests.
    this.ready.catch(() => {});
    this.worker.on("message", (message: FromWorker) => {
      if (message.type === "ready") {
        this.started = true;
        return started.resolve();
      }
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.type === "error") waiting.reject(fromWire(message.error));
      else waiting.resolve(message);
    });
    const die = (err: Error) => {
      if (this.dead) return;
      this.dead = true;
      started.reject(err);
      for (const waiting of this.pending.values()) waiting.reject(err);
      this.pending.clear();
      onDeath(this);
    };
    this.worker.on("error", (err) => {
      logger().error({ err }, "read worker failed");
      die(err);
    });
    this.worker.on("exit", (code) => die(new Error(`read worker exited (${code})`)));
  }

  request(message: WorkerRequest): Promise<FromWorker> {
    if (this.dead) return Promise.reject(new Error("read worker is gone"));
    const id = nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id } as ToWorker);
    });
  }

  /**
   * Stops the worker. A statement inside SQLite cannot be interrupted from here: the thread ends
   * when it returns (every read is bounded in time by its window), meanwhile it answers nothing.
   */
  terminate(): void {
    this.dead = true;
    for (const waiting of this.pending.values()) waiting.reject(new Error("read worker terminated"));
    this.pending.clear();
    void this.worker.terminate();
  }
}

interface Job {
  message: WorkerRequest;
  resolve: (m: FromWorker) => void;
  reject: (err: Error) => void;
  worker?: ReadWorker;
  settled: boolean;
}

export class ReadPool {
  private readonly idle: ReadWorker[] = [];
  private readonly workers = new Set<ReadWorker>();
  private readonly queue: Job[] = [];
  private readonly heavy = new HeavyReads();
  private closed = false;
  /** Settles once the first workers have started (or died trying). */
  private readonly started: Promise<unknown>;

  constructor(private readonly options: ReadPoolOptions) {
    for (let i = 0; i < Math.max(1, options.size); i++) this.spawn();
    this.started = Promise.allSettled([...this.workers].map((w) => w.ready));
  }


  private spawn(): void {
    const { databasePath, timeoutMs, workerEntry } = this.options;
    const worker = new ReadWorker({ database: { engine: "sqlite", path: databasePath }, timeoutMs }, workerEntry, (dead) => this.forget(dead));
    this.workers.add(worker);
    this.idle.push(worker);
    this.dispatch();
  }

  /**
   * A worker died or was stopped: a fresh one takes its place, after a pause when it died before
   * it could open the database (no crash loop; queued reads meet their deadline meanwhile).
   */
  private forget(worker: ReadWorker): void {
    if (!this.workers.delete(worker)) return;
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closed) return;
    if (worker.started) this.spawn();
    else setTimeout(() => !this.closed && this.spawn(), RESPAWN_PAUSE_MS).unref();
  }

  /** Resolves once every worker has started (the server waits for it before it listens). */
  async ready(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.ready));
  }

  /** Heavy reads `user` has in flight (queued, running or streaming). */
  heavyReadsOf(user: string): number {
    return this.heavy.of(user);
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      job.worker = worker;
      worker.request(job.message).then(
        (m) => this.settle(job, () => job.resolve(m)),
        (err: Error) => this.settle(job, () => job.reject(err)),
      );
    }
  }

  private settle(job: Job, answer: () => void): void {
    const worker = job.worker!;
    if (!job.settled) {
      job.settled = true;
      answer();
    }
    if (!worker.dead && this.workers.has(worker)) {
      this.idle.push(worker);
      this.dispatch();
    }
  }

  /**
   * Runs one message on a pooled worker, cancelled (worker stopped and replaced) past the deadline.
   * The deadline runs from once the pool's first workers have started: a cold start (a compile from
   * source in `next dev` and tests; the server waits for it before it listens) is not the read's.
   */
  private async run(message: WorkerRequest): Promise<FromWorker> {
    await this.started;
    if (this.closed) throw new Error("read pool is closed");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (job.settled) return;
        job.settled = true;
        const queued = this.queue.indexOf(job);
        if (queued >= 0) this.queue.splice(queued, 1);
        if (job.worker) {
          job.worker.terminate();
          this.forget(job.worker);
        }
        logger().warn({ read: message.type === "read" ? message.name : message.type, timeoutMs: this.options.timeoutMs }, "read cancelled at its deadline");
        reject(timeoutError(this.options.timeoutMs));
      }, this.options.timeoutMs);
      const job: Job = {
        message,
        settled: false,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.queue.push(job);
      this.dispatch();
    });
  }

  read<N extends ReadName>(name: N, args: ReadArgs<N>, caller: ReadCaller = {}): Promise<ReadResult<N>> {
    return this.readByName(name, args, caller) as Promise<ReadResult<N>>;
  }

  /** `read` for a name known only at run time (a test worker's); every read but the light ones is heavy. */
  async readByName(name: string, args: unknown, caller: ReadCaller = {}): Promise<unknown> {
    const release = this.heavy.take(isHeavyRead(name), caller);
    try {
      const answer = await this.run({ type: "read", name, args });
      return (answer as Extract<FromWorker, { type: "result" }>).value;
    } finally {
      release();
    }
  }

  /** A CSV export streamed from a worker of its own on this pool's database (see openExportWorker). */
  async openExport<N extends ExportName>(name: N, args: ExportArgs<N>, options: ExportOptions): Promise<ExportStream> {
    if (this.closed) throw new Error("read pool is closed");
    const { databasePath, timeoutMs, workerEntry } = this.options;
    return openExportWorker({ database: { engine: "sqlite", path: databasePath }, timeoutMs, heavy: this.heavy, workerEntry }, name, args, options);
  }

  /** Stops every worker (shutdown, tests). */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.settled = true;
      job.reject(new Error("read pool is closed"));
    }
    for (const worker of this.workers) worker.terminate();
    this.workers.clear();
    this.idle.length = 0;
  }
}

/** An open export: its file name and its body (gzip-compressed when asked). */
export interface ExportStream {
  filename: string;
  body: ReadableStream<Uint8Array>;
  gzip: boolean;
  /** How its chunks went out so far: lent from its ring, or handed over as buffers of their own. */
  sent: ExportRing["sent"];
}

/** Where an export worker reads, and what bounds it. */
export interface ExportWorkerOptions extends WorkerOptions {
  /** The per-user cap it counts against (its read path's: reads and exports share it). */
  heavy: HeavyReads;
  /** As ReadPoolOptions.workerEntry. */
  workerEntry?: string;
}

/**
 * A CSV export streamed from a worker thread of its own, on either engine (a SQLite read-only
 * connection, or a PostgreSQL session of its own): each pull of the returned body asks the worker
 * for one chunk (so a slow client holds back the reads), each within the deadline, written into a
 * slot of the export's ring when one is free (lib/read/export-ring.ts). The worker ends with the
 * stream: at its end, on an error, or when the client goes away. With `gzip` the body is
 * gzip-compressed by that worker (see lib/export/gzip.ts).
 */
export async function openExportWorker<N extends ExportName>(on: ExportWorkerOptions, name: N, args: ExportArgs<N>, options: ExportOptions): Promise<ExportStream> {
  const { heavy, workerEntry, ...workerOptions } = on;
  const release = heavy.take(true, options);
  const worker = new ReadWorker(workerOptions, workerEntry, () => {});
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    worker.terminate();
    release();
  };
  const timed = async (message: ExportMessage): Promise<FromWorker> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        logger().warn({ export: name, timeoutMs: on.timeoutMs }, "export cancelled at its deadline");
        // Answered first: stopping the worker rejects its request too.
        reject(timeoutError(on.timeoutMs));
        finish();
      }, on.timeoutMs);
    });
    try {
      return await Promise.race([worker.request({ ...message, deadline: Date.now() + on.timeoutMs }), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
  const ring = new ExportRing();
  let filename: string;
  try {
    // As a pool's reads: the deadline runs once the worker has started (one dying at birth rejects the request below).
    await worker.ready.catch(() => {});
    const opened = (await timed({ type: "export", name, args, bom: options.bom, gzip: options.gzip, ring: ring.memory })) as Extract<FromWorker, { type: "opened" }>;
    filename = opened.filename;
  } catch (err) {
    finish();
    throw err;
  }
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const slot = ring.take();
          const answer = (await timed({ type: "pull", slot })) as Extract<FromWorker, { type: "chunk" | "inSlot" }>;
          const bytes = answer.type === "inSlot" ? ring.lend(slot!, answer.length) : ring.handedOver(slot, answer.bytes);
          if (bytes) controller.enqueue(bytes);
          else {
            finish();
            controller.close();
          }
        } catch (err) {
          finish();
          controller.error(err);
        }
      },
      cancel: finish,
    },
    // One chunk ahead at most.
    { highWaterMark: 1 },
  );
  return { filename, body, gzip: options.gzip, sent: ring.sent };
}

// One pool per process, shared by the server and by Next's route bundles (each has its own copy
// of this module).
const POOL = Symbol.for("faultline.readPool");
type WithPool = typeof globalThis & { [POOL]?: ReadPool };

/** The process's read pool, started on first use (after migrations: workers only read). */
export function readPool(): ReadPool {
  const g = globalThis as WithPool;
  if (!g[POOL]) {
    const settings = getSettings();
    getDb();
    g[POOL] = new ReadPool({ databasePath: settings.DATABASE_PATH, size: settings.READ_WORKERS, timeoutMs: settings.QUERY_TIMEOUT_MS });
  }
  return g[POOL];
}

// The read path on PostgreSQL, one per database URL per process (the server's bundle and Next's share it).
const ENGINE_READS = Symbol.for("faultline.engineReads");
type WithEngineReads = typeof globalThis & { [ENGINE_READS]?: Map<string, EngineReads> };

const postgresUrl = (engine: PgEngine) => String(engine.pool.options.connectionString);

/** The process's read path on `engine`'s database (its own pool, opened on first use). */
export function engineReads(engine: PgEngine): EngineReads {
  const g = globalThis as WithEngineReads;
  const byUrl = (g[ENGINE_READS] ??= new Map());
  const key = postgresUrl(engine);
  let reads = byUrl.get(key);
  if (!reads) {
    const settings = getSettings();
    byUrl.set(key, (reads = EngineReads.on(engine, { size: settings.READ_WORKERS, timeoutMs: settings.QUERY_TIMEOUT_MS })));
  }
  return reads;
}

/**
 * Runs a named read (lib/read/reads.ts) off the thread that answers webhooks: in a read worker on
 * SQLite, on the read path's own pool on PostgreSQL. Its typed errors (503 query_timeout, 429, a
 * read's own 400/404) are rethrown as this module copy's, for this copy's error mapping.
 */
export async function runRead<N extends ReadName>(name: N, args: ReadArgs<N>, caller: ReadCaller = {}): Promise<ReadResult<N>> {
  try {
    const engine = getEngine();
    if (engine instanceof PgEngine) return (await engineReads(engine).readByName(name, args, caller)) as ReadResult<N>;
    return await readPool().read(name, args, caller);
  } catch (err) {
    throw asLocalError(err);
  }
}

/**
 * Opens a named CSV export streamed from a worker of its own (errors as runRead's): on PostgreSQL
 * the worker opens a session of its own, and the export counts against the read path's per-user cap.
 */
export async function streamExport<N extends ExportName>(name: N, args: ExportArgs<N>, options: ExportOptions): Promise<ExportStream> {
  try {
    const engine = getEngine();
    if (engine instanceof PgEngine) {
      const { heavy } = engineReads(engine);
      return await openExportWorker({ database: { engine: "postgres", url: postgresUrl(engine) }, timeoutMs: getSettings().QUERY_TIMEOUT_MS, heavy }, name, args, options);
    }
    return await readPool().openExport(name, args, options);
  } catch (err) {
    throw asLocalError(err);
  }
}

/** Makes `pool` the process's read pool, closing the one before (tests). */
export function useReadPool(pool: ReadPool): void {
  void closeReadPool();
  (globalThis as WithPool)[POOL] = pool;
}

/** Stops the read workers and closes the PostgreSQL read pools (shutdown, tests). */
export async function closeReadPool(): Promise<void> {
  const g = globalThis as WithPool & WithEngineReads;
  g[POOL]?.close();
  delete g[POOL];
  const engineReads = [...(g[ENGINE_READS]?.values() ?? [])];
  g[ENGINE_READS]?.clear();
  await Promise.all(engineReads.map((reads) => reads.close()));
}
