import { parentPort, workerData } from "node:worker_threads";
import { openConnection } from "@/db/client";
import { toWire } from "@/lib/read/protocol";
import { sqliteGroupWriter } from "./group-commit";
import type { FromIngestWorker, IngestWorkerOptions, ToIngestWorker } from "./ingest-worker";

/**
 * The body of the ingest worker thread: its own read-write connection to the (already migrated)
 * database, writing each group it is sent as the in-process committer would, one at a time, and
 * answering with every request's outcome (errors as they cross threads).
 */
export function serveIngest(): void {
  const port = parentPort!;
  const { databasePath, lockWaitMs } = workerData as IngestWorkerOptions;
  const send = (message: FromIngestWorker) => port.postMessage(message);
  const sqlite = openConnection(databasePath, { fileMustExist: true });
  if (lockWaitMs !== undefined) sqlite.pragma(`busy_timeout = ${lockWaitMs}`);
  const write = sqliteGroupWriter(sqlite);

  port.on("message", (message: ToIngestWorker) => {
    if (message.type === "close") {
      sqlite.close();
      port.close();
      return;
    }
    try {
      const outcomes = write(message.requests).map((o) => ("error" in o ? { error: toWire(o.error) } : o));
      send({ type: "committed", id: message.id, outcomes });
    } catch (err) {
      send({ type: "failed", id: message.id, error: toWire(err) });
    }
  });
  send({ type: "ready" });
}
