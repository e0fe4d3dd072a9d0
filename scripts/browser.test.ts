import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findChromium } from "./browser";

describe("finding a browser for the e2e tests", () => {
  it("takes CHROMIUM_PATH when it is an executable file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-"));
    const fake = path.join(dir, "my-chromium");
    fs.writeFileSync(fake, "#!/bin/sh\n", { mode: 0o755 });
    expect(findChromium({ CHROMIUM_PATH: fake })).toBe(fake);
    fs.chmodSync(fake, 0o644);
    expect(findChromium({ CHROMIUM_PATH: fake })).toBeUndefined();
  });

  it("stops before the e2e step with one line saying how to get a browser", () => {
    const run = spawnSync("node_modules/.bin/tsx", ["scripts/check-browser.ts"], {
      env: { ...process.env, CHROMIUM_PATH: "/nonexistent/chromium" },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("apt-get install chromium");
    expect(lines[0]).toContain("npx playwright install chromium");
  });
});
