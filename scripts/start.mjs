// `npm start`: build when no current build exists, then run the production server in this process.
import { spawnSync } from "node:child_process";
import { isBuildCurrent } from "./build-stamp.mjs";

if (!isBuildCurrent()) {
  console.log("No current production build: building first (about a minute)…");
  const result = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

process.env.NODE_ENV = "production";
await import(new URL("../dist/server.mjs", import.meta.url).href);
