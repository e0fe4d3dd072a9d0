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

describe("settings for limits, retention and logs", () => {
  it("has defaults high enough for one busy sender, and 0 turns a limit off", () => {
    const s = parseSettings({});
    expect([s.WEBHOOK_RATE_LIMIT, s.WEBHOOK_RATE_BURST, s.SIGN_IN_RATE_LIMIT, s.RETENTION_DAYS, s.LOG_LEVEL]).toEqual([10_000, 20_000, 20, undefined, "info"]);
    expect(parseSettings({ WEBHOOK_RATE_LIMIT: "0", RETENTION_DAYS: "90", LOG_LEVEL: "warn" })).toMatchObject({ WEBHOOK_RATE_LIMIT: 0, RETENTION_DAYS: 90, LOG_LEVEL: "warn" });
    expect(() => parseSettings({ WEBHOOK_RATE_LIMIT: "-1" })).toThrow(/WEBHOOK_RATE_LIMIT/);
    expect(() => parseSettings({ RETENTION_DAYS: "0" })).toThrow(/RETENTION_DAYS: must be at least 1/);
    expect(() => parseSettings({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });
});

describe("settings for hardening", () => {
  it("keeps audit entries 365 days and 256 connections per address by default", () => {
    expect(parseSettings({})).toMatchObject({ AUDIT_RETENTION_DAYS: 365, MAX_CONNECTIONS_PER_IP: 256 });
    expect(parseSettings({ AUDIT_RETENTION_DAYS: "30", MAX_CONNECTIONS_PER_IP: "0" })).toMatchObject({ AUDIT_RETENTION_DAYS: 30, MAX_CONNECTIONS_PER_IP: 0 });
    expect(() => parseSettings({ AUDIT_RETENTION_DAYS: "0" })).toThrow(/AUDIT_RETENTION_DAYS: must be at least 1/);
    expect(() => parseSettings({ MAX_CONNECTIONS_PER_IP: "many" })).toThrow(/MAX_CONNECTIONS_PER_IP/);
  });
});

describe("settings for the database", () => {
  it("uses SQLite at DATABASE_PATH unless DATABASE_URL names a PostgreSQL database", () => {
    expect(parseSettings({}).DATABASE_PATH).toBe("./data/faultline.db");
    expect(parseSettings({}).DATABASE_URL).toBeUndefined();
    expect(parseSettings({ DATABASE_URL: " " }).DATABASE_URL).toBeUndefined();
    expect(parseSettings({ DATABASE_URL: "postgres://app:secret@db:5432/faultline" }).DATABASE_URL).toBe("postgres://app:secret@db:5432/faultline");
    expect(parseSettings({ DATABASE_URL: "postgresql://db/faultline" }).DATABASE_URL).toBe("postgresql://db/faultline");
    expect(() => parseSettings({ DATABASE_URL: "mysql://db/faultline" })).toThrow(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(() => parseSettings({ DATABASE_URL: "./data/faultline.db" })).toThrow(/DATABASE_URL: must be a postgres/);
  });
});
