// Production build: Next's build, then the custom server bundled to dist/server.mjs.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { build } from "esbuild";
import { isBuildCurrent, sourceFingerprint, STAMP_FILE } from "./build-stamp.mjs";

const fingerprint = sourceFingerprint();
if (process.argv.includes("--if-stale") && isBuildCurrent(fingerprint)) {
  console.log("Production build is current; not rebuilding.");
  process.exit(0);
}
const nextBuild = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], {
  stdio: "inherit",
  env: { NEXT_TELEMETRY_DISABLED: "1", ...process.env },
});
if (nextBuild.status !== 0) process.exit(nextBuild.status ?? 1);

await build({
  entryPoints: ["scripts/server.ts"],
  outfile: "dist/server.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
fs.writeFileSync(STAMP_FILE, JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }, null, 2));
console.log("Built .next and dist/server.mjs");
