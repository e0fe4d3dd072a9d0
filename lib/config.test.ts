import { describe, expect, it } from "vitest";
import { ConfigError, parseSettings } from "./config";

describe("settings for accounts", () => {
  it("takes ADMIN_EMAIL and ADMIN_PASSWORD together", () => {
    const s = parseSettings({ ADMIN_EMAIL: " root@example.com ", ADMIN_PASSWORD: " a long password " });
    expect(s.ADMIN_EMAIL).toBe("root@example.com");
    expect(s.ADMIN_PASSWORD).toBe(" a long password ");
    expect(() => parseSettings({ ADMIN_EMAIL: "root@example.com" })).toThrow(/ADMIN_PASSWORD: must be set together with ADMIN_EMAIL/);
    expect(() => parseSettings({ ADMIN_PASSWORD: "a long password" })).toThrow(/ADMIN_EMAIL: must be set together/);
    expect(() => parseSettings({ ADMIN_EMAIL: "root", ADMIN_PASSWORD: "a long password" })).toThrow(/ADMIN_EMAIL: must be an e-mail address/);
    expect(() => parseSettings({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "short" })).toThrow(ConfigError);
  });

  it("reads TRUST_PROXY as a boolean, off by default", () => {
    expect(parseSettings({}).TRUST_PROXY).toBe(false);
    expect(parseSettings({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(parseSettings({ TRUST_PROXY: "0" }).TRUST_PROXY).toBe(false);
    expect(() => parseSettings({ TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY: must be true or false/);
  });
});
