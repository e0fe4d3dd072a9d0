import fs from "node:fs";
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { csvStream, type OpenedExport } from "@/lib/export/csv";
import { ChunkedGzip } from "@/lib/export/gzip";
import { LOCK_WAIT_MS, type Dialect, type Queryable } from "@/db/engine";
import { connectPg } from "@/db/pg/connection";
import { onConnection } from "@/db/pg/engine";
import { inSqliteSnapshot } from "@/db/snapshot";
import { runSteps, runStepsOn, type Steps } from "@/db/steps";
import { NotFoundError } from "@/lib/http/errors";
import { cancelledAtDeadline, withinDeadline } from "./deadline";
import { SLOT_BYTES, slotOf } from "./export-ring";
import { timeoutError } from "./heavy-reads";
import { toWire, type FromWorker, type ToWorker, type WorkerOptions } from "./protocol";
import { EXPORTS } from "./reads";

/** A read written once for both engines (lib/read/reads.ts' READS). */
export type StepsRead = (dialect: Dialect, args: unknown) => Steps<unknown>;

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

/** An export, written once for both engines (lib/read/reads.ts' EXPORTS). */
type StepsExport = (dialect: Dialect, args: unknown) => Steps<OpenedExport>;

/**
 * The worker's own connection as an export uses it, on either engine. `deadline` (epoch ms) is
 * when the main thread gives up: PostgreSQL cancels a statement still running then; a SQLite
 * statement cannot be interrupted, so the main thread stops the worker instead.
 */
interface ExportConnection {
  /** Runs `build`'s steps in one snapshot (an export's opening). */
  inSnapshot<T>(build: (dialect: Dialect) => Steps<T>, deadline: number): Promise<T>;
  /** Runs steps outside any transaction (a chunk: one short statement). */
  run<T>(steps: Steps<T>, deadline: number): Promise<T>;
}

function onSqlite(sqlite: Database.Database): ExportConnection {
  return {
    inSnapshot: async (build) => inSqliteSnapshot(sqlite, build),
    run: async (steps) => runSteps(sqlite, steps),
  };
}

/**
 * A PostgreSQL session of the worker's own (numbers parsed as on SQLite): its temporary tables
 * last as long as the export does, and each statement runs under statement_timeout = what is
 * left until the deadline.
 */
async function onPostgres(url: string, timeoutMs: number): Promise<ExportConnection> {
  const client = await connectPg(url);
  // The server ending the session arrives as an error event (without a listener it would end the
  // thread); the export's next statement then fails and reports it.
  client.on("error", () => {});
  const session = onConnection(client);
  const withDeadline = async <T>(deadline: number, work: (q: Queryable) => Promise<T>): Promise<T> => {
    try {
      return await work(withinDeadline(session, deadline, "session"));
    } catch (err) {
      throw cancelledAtDeadline(err) ? timeoutError(timeoutMs) : err;
    }
  };
  return {
    inSnapshot: (build, deadline) =>
      withDeadline(deadline, async (q) => {
        await session.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
        try {
          const value = await runStepsOn(q, build(q.dialect));
          await session.exec("COMMIT");
          return value;
        } catch (err) {
          await session.exec("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }),
    run: (steps, deadline) => withDeadline(deadline, (q) => runStepsOn(q, steps)),
  };
}

/**
 * The body of a read worker: one read-only connection of its own, answering one message at a
 * time with `reads` (by name, each in one snapshot) and EXPORTS. Reads run here so the main thread (which answers
 * webhooks) never waits on them. A worker serving an export holds that one export open and
 * streams it on demand (`pull`), one chunk per message: the HTTP response's backpressure reaches
 * the database reads. On PostgreSQL a worker serves exports only, on a session of its own: the
 * CSV formatting and compression stay off the main thread there too.
 */
export function serveReads(reads: Record<string, StepsRead>): void {
  const port = parentPort!;
  const options = workerData as WorkerOptions;
  deferToWebhooks();
  const { database } = options;
  let sqlite: Database.Database | undefined;
  let connecting: Promise<ExportConnection>;
  if (database.engine === "sqlite") {
    sqlite = new Database(database.path, { readonly: true, fileMustExist: true });
    sqlite.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
    // Contact lists materialise into temporary tables; large ones spill to disk rather than memory.
    sqlite.pragma("temp_store = FILE");
    connecting = Promise.resolve(onSqlite(sqlite));
  } else connecting = onPostgres(database.url, options.timeoutMs);

  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const named = <T>(table: Record<string, T>, name: string): T => {
    if (!Object.hasOwn(table, name)) throw new NotFoundError(`No read named ${name}.`);
    return table[name]!;
  };
  /** The export this worker streams (an export worker serves one, then ends), and its compression. */
  let open: { reader: ReadableStreamDefaultReader<Uint8Array>; gzip?: ChunkedGzip } | undefined;
  /** That export's ring (lib/read/export-ring.ts), whose slots its pulls name. */
  let ring: SharedArrayBuffer | undefined;

  /** The export's next bytes (a view the next read may reuse), or null at its end. */
  async function nextBytes(): Promise<Uint8Array | null> {
    if (!open) throw new NotFoundError("No export open.");
    const { done, value } = await open.reader.read();
    if (!done) return open.gzip ? open.gzip.push(value) : value;
    // The gzip trailer goes out as one more chunk; the pull after it ends the stream.
    const tail = open.gzip?.end();
    if (tail) {
      open.gzip = undefined;
      return tail;
    }
    open = undefined;
    return null;
  }

  /** Answers a pull: the bytes written into its ring slot when they fit, else handed over (a copy owning its buffer). */
  function sendBytes(id: number, bytes: Uint8Array | null, slot: number | undefined): void {
    if (bytes && ring && slot !== undefined && bytes.length <= SLOT_BYTES) {
      slotOf(ring, slot).set(bytes);
      return send({ type: "inSlot", id, length: bytes.length });
    }
    const owned = bytes && new Uint8Array(bytes);
    // Handed over without copying again.
    send({ type: "chunk", id, bytes: owned }, owned ? [owned.buffer as ArrayBuffer] : []);
  }

  /** The deadline of the message being answered (each pull has its own). */
  let deadline = 0;

  async function handle(connection: ExportConnection, message: ToWorker): Promise<void> {
    try {
      if (message.type === "read") {
        if (!sqlite) throw new Error("reads on PostgreSQL run on the read path's pool (lib/read/engine-reads.ts), not in a worker");
        const read = named(reads, message.name);
        send({ type: "result", id: message.id, value: inSqliteSnapshot(sqlite, (dialect) => read(dialect, message.args)) });
      } else if (message.type === "export") {
        deadline = message.deadline;
        const start = named(EXPORTS as Record<string, StepsExport>, message.name);
        const exp = await connection.inSnapshot((dialect) => start(dialect, message.args), deadline);
        const source = { columns: exp.columns, nextChunk: () => connection.run(exp.nextChunk(), deadline) };
        open = { reader: csvStream(source, { bom: message.bom }).getReader(), gzip: message.gzip ? new ChunkedGzip() : undefined };
        ring = message.ring;
        send({ type: "opened", id: message.id, filename: exp.filename });
      } else {
        deadline = message.deadline;
        sendBytes(message.id, await nextBytes(), message.slot);
      }
    } catch (err) {
      send({ type: "error", id: message.id, error: toWire(err) });
    }
  }

  // Ready once connected; a connection that fails ends the thread (its requests get the error).
  void connecting.then((connection) => {
    // Messages are handled strictly in turn (an export pull awaits its stream).
    let queue = Promise.resolve();
    port.on("message", (message: ToWorker) => {
      queue = queue.then(() => handle(connection, message));
    });
    send({ type: "ready" });
  });
}
