// `npm run test:e2e` runs this first: without a browser it stops with one line saying how to get one.
import { findChromium, NO_BROWSER_MESSAGE } from "./browser";

const found = findChromium();
if (!found) {
  const configured = process.env.CHROMIUM_PATH;
  console.error(configured ? `CHROMIUM_PATH=${configured} is not an executable file. ${NO_BROWSER_MESSAGE}` : NO_BROWSER_MESSAGE);
  process.exit(1);
}
console.log(`e2e browser: ${found}`);
