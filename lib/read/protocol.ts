import { AppError, type ErrorDetail } from "@/lib/http/errors";

/** An export's messages (lib/read/pool.ts' openExportWorker). */
export type ExportMessage =
  /**
   * `gzip`: the chunks form one gzip member, compressed on the worker's thread. `ring`: the
   * export's shared memory (lib/read/export-ring.ts), whose slots its pulls name.
   */
  | { type: "export"; name: string; args: unknown; bom: boolean; gzip: boolean; ring: SharedArrayBuffer }
  /** The next bytes of the open export, written into ring slot `slot` when given and they fit. */
  | { type: "pull"; slot?: number };

/**
 * Messages between the main thread and a read worker (lib/read/worker.ts). An export's carry their
 * `deadline` (epoch ms): when the main thread gives up on the answer; PostgreSQL cancels the
 * statements still running then (SQLite's worker is stopped instead).
 */
export type WorkerRequest = { type: "read"; name: string; args: unknown } | (ExportMessage & { deadline: number });

export type ToWorker = WorkerRequest & { id: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; error: WireError }
  /** An export's file name, once its rows are ready to stream. */
  | { type: "opened"; id: number; filename: string }
  /** A chunk of CSV bytes handed over (null at the end)… */
  | { type: "chunk"; id: number; bytes: Uint8Array | null }
  /** …or written into the pull's ring slot. */
  | { type: "inSlot"; id: number; length: number };

/**
 * What the worker is passed in `workerData`: the database it opens a connection of its own to. A
 * worker on PostgreSQL serves one export (reads run on lib/read/engine-reads.ts' pool there);
 * `timeoutMs` is the deadline its errors name.
 */
export interface WorkerOptions {
  database: { engine: "sqlite"; path: string } | { engine: "postgres"; url: string };
  timeoutMs: number;
}

/** An error as it crosses threads: typed errors keep status, code, message and details; others their SQLite code. */
export type WireError =
  | { app: true; status: number; code: string; message: string; details?: ErrorDetail[]; headers?: Record<string, string> }
  | { app: false; message: string; code?: string; stack?: string };

/**
 * A typed error, possibly of another copy of lib/http/errors.ts: the server's bundle and Next's
 * each hold one, and the read pool is shared by both (so `instanceof` alone cannot tell).
 */
function isAppErrorLike(err: unknown): err is AppError {
  if (err instanceof AppError) return true;
  const e = err as { status?: unknown; code?: unknown } | null;
  return err instanceof Error && typeof e?.status === "number" && typeof e.code === "string";
}

export function toWire(err: unknown): WireError {
  if (isAppErrorLike(err)) return { app: true, status: err.status, code: err.code, message: err.message, details: err.details, headers: err.headers };
  const e = err as { message?: unknown; code?: unknown; stack?: unknown } | null;
  return {
    app: false,
    message: typeof e?.message === "string" ? e.message : String(err),
    code: typeof e?.code === "string" ? e.code : undefined,
    stack: typeof e?.stack === "string" ? e.stack : undefined,
  };
}

/** A typed error thrown in a read worker, rethrown on the main thread as the same answer. */
class WorkerAppError extends AppError {
  readonly status: number;
  readonly code: string;
  constructor(wire: Extract<WireError, { app: true }>) {
    super(wire.message, wire.details, wire.headers);
    this.status = wire.status;
    this.code = wire.code;
  }
}

/** `err` as this module copy's AppError when it is a typed error of another copy; else as is. */
export function asLocalError(err: unknown): unknown {
  return !(err instanceof AppError) && isAppErrorLike(err) ? fromWire(toWire(err)) : err;
}

export function fromWire(wire: WireError): Error {
  if (wire.app) return new WorkerAppError(wire);
  const err = new Error(wire.message) as Error & { code?: string };
  if (wire.code) err.code = wire.code;
  if (wire.stack) err.stack = wire.stack;
  return err;
}
