import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Every page except /login and /setup shows contact data or settings, so each must call
// requirePageUser() itself: proxy.ts only checks that a cookie is there, and layouts are not
// re-rendered on client-side navigation. Found on disk, so a new page cannot forget it.
const APP_DIR = path.join(process.cwd(), "app");
const OPEN_PAGES = new Set(["login/page.tsx", "setup/page.tsx"]);

function pages(dir = APP_DIR): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "api" ? [] : pages(full);
    return entry.name === "page.tsx" ? [path.relative(APP_DIR, full).split(path.sep).join("/")] : [];
  });
}

describe("signed-in pages", () => {
  const found = pages();
  it("include the dashboard and settings", () => {
    expect(found).toEqual(expect.arrayContaining(["(dashboard)/page.tsx", "(settings)/settings/page.tsx", ...OPEN_PAGES]));
  });
  for (const page of found.filter((p) => !OPEN_PAGES.has(p))) {
    it(`${page} calls requirePageUser()`, () => {
      expect(fs.readFileSync(path.join(APP_DIR, page), "utf8")).toMatch(/await requirePageUser\(/);
    });
  }
});
