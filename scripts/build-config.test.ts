import { describe, expect, it } from "vitest";
import nextConfig from "../next.config";

describe("the production build", () => {
  it("fails on type errors (next.config.ts does not ignore them)", () => {
    expect(nextConfig.typescript?.ignoreBuildErrors ?? false).toBe(false);
  });
});
