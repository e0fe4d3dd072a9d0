import fs from "node:fs";
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { csvStream } from "@/lib/export/csv";
import { ChunkedGzip } from "@/lib/export/gzip";
import type { Dialect } from "@/db/engine";
import { inSqliteSnapshot } from "@/db/snapshot";
import type { Steps } from "@/db/steps";
import { NotFoundError } from "@/lib/http/errors";
import { toWire, type FromWorker, type ToWorker, type WorkerOptions } from "./protocol";
import { EXPORTS } from "./reads";

/** A read written once for both engines (lib/read/reads.ts' READS). */
export type StepsRead = (dialect: Dialect, args: unknown) => Steps<unknown>;
/** A read still written for a SQLite connection (SQLITE_READS). */
export type SqliteRead = (db: Database.Database, args: unknown) => unknown;

/** Scheduling niceness of a read thread: the webhook's thread (nice 0) gets ~10× its CPU share. */
const READ_THREAD_NICE = 10;

/**
 * Lowers this thread's CPU priority, so that on a busy machine the thread answering webhooks is
 * scheduled first. Linux applies setpriority() to a thread id alone; elsewhere nothing is done.
 */
function deferToWebhooks(): void {
  try {
    const tid = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) os.setPriority(tid, READ_THREAD_NICE);
  } catch {
    // No /proc/thread-self (not Linux): the threads share the CPU evenly.
  }
}

/**
 * The body of a read worker: one read-only connection of its own, answering one message at a
 * time with `reads` (by name, each in one snapshot), `sqliteReads` and EXPORTS. Reads run here so the main thread (which answers
 * webhooks) never waits on them. A worker serving an export holds that one export open and
 * streams it on demand (`pull`), one chunk per message: the HTTP response's backpressure reaches
 * the database reads.
 */
export function serveReads(reads: Record<string, StepsRead>, sqliteReads: Record<string, SqliteRead>): void {
  const port = parentPort!;
  const options = workerData as WorkerOptions;
  deferToWebhooks();
  const sqlite = new Database(options.databasePath, { readonly: true, fileMustExist: true });
  sqlite.pragma("busy_timeout = 5000");
  // Contact lists materialise into temporary tables; large ones spill to disk rather than memory.
  sqlite.pragma("temp_store = FILE");

  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const named = <T>(table: Record<string, T>, name: string): T => {
    if (!Object.hasOwn(table, name)) throw new NotFoundError(`No read named ${name}.`);
    return table[name]!;
  };
  /** The export this worker streams (an export worker serves one, then ends), and its compression. */
  let open: { reader: ReadableStreamDefaultReader<Uint8Array>; gzip?: ChunkedGzip } | undefined;

  /** The export's next bytes (a copy that owns its buffer, to hand over), or null at its end. */
  async function nextBytes(): Promise<Uint8Array | null> {
    if (!open) throw new NotFoundError("No export open.");
    const { done, value } = await open.reader.read();
    if (!done) return new Uint8Array(open.gzip ? open.gzip.push(value) : value);
    // The gzip trailer goes out as one more chunk; the pull after it ends the stream.
    const tail = open.gzip?.end();
    if (tail) {
      open.gzip = undefined;
      return new Uint8Array(tail);
    }
    open = undefined;
    return null;
  }

  async function handle(message: ToWorker): Promise<void> {
    try {
      if (message.type === "read") {
        const { name, args } = message;
        const value = Object.hasOwn(reads, name) ? inSqliteSnapshot(sqlite, (dialect) => reads[name]!(dialect, args)) : named(sqliteReads, name)(sqlite, args);
        send({ type: "result", id: message.id, value });
      } else if (message.type === "export") {
        const start = named(EXPORTS, message.name) as (db: Database.Database, args: unknown) => ReturnType<(typeof EXPORTS)["failures"]>;
        const exp = start(sqlite, message.args);
        open = { reader: csvStream(exp.source, { bom: message.bom }).getReader(), gzip: message.gzip ? new ChunkedGzip() : undefined };
        send({ type: "opened", id: message.id, filename: exp.filename });
      } else {
        const bytes = await nextBytes();
        // Handed over without copying again.
        send({ type: "chunk", id: message.id, bytes }, bytes ? [bytes.buffer as ArrayBuffer] : []);
      }
    } catch (err) {
      send({ type: "error", id: message.id, error: toWire(err) });
    }
  }

  // Messages are handled strictly in turn (an export pull awaits its stream).
  let queue = Promise.resolve();
  port.on("message", (message: ToWorker) => {
    queue = queue.then(() => handle(message));
  });
  send({ type: "ready" });
}
