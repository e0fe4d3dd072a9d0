// Finds a Chromium for the Playwright tests: CHROMIUM_PATH, then the system's Chromium or Chrome,
// then Playwright's own downloaded build. Never downloads anything.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const SYSTEM_BROWSERS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/snap/bin/chromium",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/opt/google/chrome/chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

export const NO_BROWSER_MESSAGE =
  "No Chromium found for the e2e tests: install one with `apt-get install chromium` (Debian/Ubuntu) or `npx playwright install chromium`, or set CHROMIUM_PATH.";

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function playwrightsOwnChromium(): string | undefined {
  try {
    // Loaded from the project (this file is read both as ESM by tsx and as CJS by Playwright).
    const load = createRequire(path.join(process.cwd(), "package.json"));
    const { chromium } = load("playwright-core") as { chromium: { executablePath(): string } };
    const file = chromium.executablePath();
    return file && isExecutable(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The browser to run the e2e tests with, or undefined when this machine has none. */
export function findChromium(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return SYSTEM_BROWSERS.find(isExecutable) ?? playwrightsOwnChromium();
}
