// Production build: Next's build, then the custom server bundled to dist/server.mjs.
// One build at a time per checkout: concurrent `next build`s corrupt each other's .next.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { build } from "esbuild";
import { isBuildCurrent, sourceFingerprint, STAMP_FILE } from "./build-stamp.mjs";
import { NODE_BUNDLE } from "./node-bundle.mjs";

const LOCK = ".build.lock";
const LOCK_STALE_MS = 15 * 60_000;

async function acquireLock() {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      return;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      // A lock left by a build that died long ago is taken over.
      if (Date.now() - fs.statSync(LOCK).mtimeMs > LOCK_STALE_MS) fs.rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

await acquireLock();
try {
  const fingerprint = sourceFingerprint();
  // Checked under the lock: a build that finished while we waited may already be current.
  if (process.argv.includes("--if-stale") && isBuildCurrent(fingerprint)) {
    console.log("Production build is current; not rebuilding.");
  } else {
    const nextBuild = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], {
      stdio: "inherit",
      env: { NEXT_TELEMETRY_DISABLED: "1", ...process.env },
    });
    if (nextBuild.status !== 0) {
      // Say why: a build the kernel killed for memory prints nothing of its own.
      const why = nextBuild.error
        ? `could not start (${nextBuild.error.message})`
        : nextBuild.signal
          ? `was killed by ${nextBuild.signal}${nextBuild.signal === "SIGKILL" ? " (most likely out of memory: see dmesg)" : ""}`
          : `exited with status ${nextBuild.status}`;
      console.error(`next build ${why}; no production build was made.`);
      process.exitCode = nextBuild.status || 1;
    } else {
      // The server, and the worker threads it starts (each a file of its own: a worker thread runs a file).
      await build({
        ...NODE_BUNDLE,
        entryPoints: { server: "scripts/server.ts", "read-worker": "lib/read/worker.ts", "ingest-worker": "lib/ingest/worker.ts" },
        outdir: "dist",
        sourcemap: true,
      });
      fs.writeFileSync(STAMP_FILE, JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }, null, 2));
      console.log("Built .next, dist/server.mjs, dist/read-worker.mjs and dist/ingest-worker.mjs");
    }
  }
} finally {
  fs.rmSync(LOCK, { recursive: true, force: true });
}
