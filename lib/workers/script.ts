import path from "node:path";

/** The worker threads the server starts, each a file of its own (a worker thread runs a file). */
const WORKERS = {
  "read-worker": { source: ["lib", "read", "worker.ts"], testBundleEnv: "FAULTLINE_TEST_READ_WORKER" },
  "ingest-worker": { source: ["lib", "ingest", "worker.ts"], testBundleEnv: "FAULTLINE_TEST_INGEST_WORKER" },
} as const;

export type WorkerName = keyof typeof WORKERS;

/** A worker that died before it could open the database is not started again sooner (no crash loop). */
export const RESPAWN_PAUSE_MS = 1_000;

/**
 * A worker's script: its bundle built beside the server in production (dist/<name>.mjs, outside
 * Next's bundles), in tests the one their run bundled (lib/testing/global-setup.ts) unless a test
 * names its own entry, its source through tsx elsewhere (`next dev`, test entries).
 */
export function workerScript(name: WorkerName, workerData: object, entry?: string): { file: string; workerData: unknown } {
  // Run-time paths Next must neither bundle nor trace (turbopackIgnore).
  const root = process.cwd();
  const at = (...parts: string[]) => path.join(/* turbopackIgnore: true */ root, ...parts);
  if (process.env.NODE_ENV === "production") return { file: at("dist", `${name}.mjs`), workerData };
  const testBundle = process.env[WORKERS[name].testBundleEnv];
  if (testBundle && !entry) return { file: testBundle, workerData };
  return { file: at("lib", "workers", "dev-worker.mjs"), workerData: { ...workerData, entry: entry ?? at(...WORKERS[name].source) } };
}
