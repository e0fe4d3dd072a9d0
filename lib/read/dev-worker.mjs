// Runs lib/read/worker.ts from source (tests, `next dev`): the production build bundles it to
// dist/read-worker.mjs instead (scripts/build.mjs).
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
