// Finds a Chromium for the Playwright tests: CHROMIUM_PATH, then the system's Chromium or Chrome,
// then Playwright's own downloaded build. Never downloads anything.
import fs from "node:fs";
import { createRequire } from "node:module";

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

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function playwrightsOwnChromium() {
  try {
    const { chromium } = createRequire(import.meta.url)("playwright-core");
    const file = chromium.executablePath();
    return file && isExecutable(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The browser to run the e2e tests with, or undefined when this machine has none. */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return SYSTEM_BROWSERS.find(isExecutable) ?? playwrightsOwnChromium();
}

export const NO_BROWSER_MESSAGE =
  "No Chromium found for the e2e tests: install one with `apt-get install chromium` (Debian/Ubuntu) or `npx playwright install chromium`, or set CHROMIUM_PATH.";

// `node scripts/browser.mjs`: the check `npm run test:e2e` runs before building anything.
if (import.meta.url === `file://${process.argv[1]}`) {
  const found = findChromium();
  if (!found) {
    console.error(
      process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file. ${NO_BROWSER_MESSAGE}` : NO_BROWSER_MESSAGE,
    );
    process.exit(1);
  }
  console.log(`e2e browser: ${found}`);
}
