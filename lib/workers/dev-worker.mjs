// Runs a worker thread's source through tsx (tests, `next dev`): the production build bundles
// each worker to dist/<name>.mjs instead (scripts/build.mjs).
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
