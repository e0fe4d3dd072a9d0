// Fingerprint of everything a production build is made from, so `npm start` can tell whether
// the current build is up to date.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const INPUTS = ["app", "components", "lib", "db", "proxy.ts", "scripts/server.ts", "next.config.ts", "package-lock.json", "tsconfig.json", "postcss.config.mjs", "i18n", "messages"];
const SKIP = /(^|\/)(node_modules|\.next)(\/|$)|\.test\.tsx?$/;

function* files(entry) {
  if (!fs.existsSync(entry)) return;
  const stat = fs.statSync(entry);
  if (stat.isFile()) {
    yield entry;
    return;
  }
  for (const name of fs.readdirSync(entry).sort()) {
    const child = path.join(entry, name);
    if (!SKIP.test(child)) yield* files(child);
  }
}

export function sourceFingerprint(root = process.cwd()) {
  const hash = createHash("sha256");
  for (const input of INPUTS) {
    for (const file of files(path.join(root, input))) {
      hash.update(path.relative(root, file));
      hash.update("\0");
      hash.update(fs.readFileSync(file));
      hash.update("\0");
    }
  }
  return hash.digest("hex");
}

export const STAMP_FILE = "dist/build-stamp.json";

/** Whether .next and dist/server.mjs were built from exactly the current sources. */
export function isBuildCurrent(fingerprint = sourceFingerprint()) {
  if (!fs.existsSync(".next/BUILD_ID") || !fs.existsSync("dist/server.mjs") || !fs.existsSync("dist/read-worker.mjs") || !fs.existsSync("dist/ingest-worker.mjs") || !fs.existsSync(STAMP_FILE)) return false;
  try {
    return JSON.parse(fs.readFileSync(STAMP_FILE, "utf8")).fingerprint === fingerprint;
  } catch {
    return false;
  }
}
