import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { NODE_BUNDLE } from "@/scripts/node-bundle.mjs";
import { startSharedCluster } from "./shared-pg";

/**
 * Vitest's global setup: bundles the worker threads (lib/read/worker.ts, lib/ingest/worker.ts) once
 * for the run, as the production build does, so each of the hundreds of worker threads the tests start loads one file
 * instead of compiling the worker's sources through tsx (about a second each, several under the
 * suite's load). The bundle lives under node_modules/.cache so its package imports resolve. Starts
 * the run's shared PostgreSQL cluster too (lib/testing/shared-pg.ts).
 */
export default async function setup(): Promise<() => void> {
  const cache = path.join(process.cwd(), "node_modules", ".cache");
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, "faultline-workers-"));
  await build({ ...NODE_BUNDLE, entryPoints: { "read-worker": "lib/read/worker.ts", "ingest-worker": "lib/ingest/worker.ts" }, outdir: dir });
  // Read by lib/workers/script.ts; test files' forks (and their worker threads) inherit them.
  process.env.FAULTLINE_TEST_READ_WORKER = path.join(dir, "read-worker.mjs");
  process.env.FAULTLINE_TEST_INGEST_WORKER = path.join(dir, "ingest-worker.mjs");
  // The run's PostgreSQL cluster: each file's database is a copy of its migrated template.
  const cluster = await startSharedCluster();
  return () => {
    cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
