import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { NODE_BUNDLE } from "@/scripts/node-bundle.mjs";

/**
 * Vitest's global setup: bundles the read worker (lib/read/worker.ts) once for the run, as the
 * production build does, so each of the hundreds of worker threads the tests start loads one file
 * instead of compiling the worker's sources through tsx (about a second each, several under the
 * suite's load). The bundle lives under node_modules/.cache so its package imports resolve.
 */
export default async function setup(): Promise<() => void> {
  const cache = path.join(process.cwd(), "node_modules", ".cache");
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, "faultline-read-worker-"));
  await build({ ...NODE_BUNDLE, entryPoints: { "read-worker": "lib/read/worker.ts" }, outdir: dir });
  // Read by lib/read/pool.ts' workerScript; test files' forks (and their worker threads) inherit it.
  process.env.FAULTLINE_TEST_READ_WORKER = path.join(dir, "read-worker.mjs");
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
