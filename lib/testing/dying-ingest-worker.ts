import { parentPort } from "node:worker_threads";
import type { ToIngestWorker } from "@/lib/ingest/ingest-worker";
import { serveIngest } from "@/lib/ingest/serve-ingest";

/**
 * The ingest worker (lib/ingest/serve-ingest.ts), except that its thread ends abruptly, before
 * writing, when a group holds an event whose id starts with "die" (IngestWorker's `entry`, tests only).
 */
parentPort!.on("message", (message: ToIngestWorker) => {
  if (message.type === "commit" && message.requests.flat().some((e) => e.eventId?.startsWith("die"))) process.exit(3);
});
serveIngest();
