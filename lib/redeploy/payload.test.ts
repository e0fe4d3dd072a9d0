import { expect, it } from "vitest";
import { earliestRetryAt, etaFor } from "./timing";
import { normalizeLine, sessionKeysFor } from "./payload";

it("keeps the line a contact failed on, or moves it to the operator's line, through deployment_squad", () => {
  const keys = JSON.stringify([
    { key: "name", value: "Ana" },
    { key: "deployment_squad", value: "DS_573001112233" },
  ]);
  expect(sessionKeysFor(keys, "+573009998877", null)).toEqual({
    keys: [
      { key: "name", value: "Ana" },
      { key: "deployment_squad", value: "DS_573009998877" },
    ],
    line: "+573009998877",
  });
  expect(sessionKeysFor(keys, "+573009998877", "+573000000001").keys).toContainEqual({ key: "deployment_squad", value: "DS_573000000001" });
  // Line unknown: the squad it carried stays, and names the line.
  expect(sessionKeysFor(keys, "", null)).toMatchObject({ line: "+573001112233" });
  // Object-shaped keys become [{key, value}].
  expect(sessionKeysFor(JSON.stringify({ order: 42 }), "", null)).toEqual({ keys: [{ key: "order", value: 42 }], line: "" });
  expect(sessionKeysFor(null, "", null)).toEqual({ keys: [], line: "" });
});

it("normalises a typed line and refuses what is not a phone number", () => {
  expect(normalizeLine("+57 300 111-2233")).toBe("+573001112233");
  expect(normalizeLine("573001112233")).toBe("+573001112233");
  expect(normalizeLine("DS_5730011")).toBeNull();
  expect(normalizeLine("123")).toBeNull();
});

it("waits out the rolling 24 h window for tier and rate limits only", () => {
  const now = Date.UTC(2026, 11, 2, 12);
  const failedAt = now - 2 * 3_600_000;
  expect(earliestRetryAt("FAILURE_BY_TIER_CAPACITY", failedAt, now)).toBe(failedAt + 24 * 3_600_000);
  expect(earliestRetryAt("COMPANY_RATE_LIMIT", now - 30 * 3_600_000, now)).toBe(now);
  expect(earliestRetryAt("FAILURE_BY_HUMAN_HANDOVER", failedAt, now)).toBe(now);
  expect(etaFor({ kind: "earliest" }, "FAILURE_BY_RATE_LIMIT", failedAt, now)).toBe((failedAt + 24 * 3_600_000) / 1000);
  expect(etaFor({ kind: "earliest" }, "FAILURE", failedAt, now)).toBeNull();
  expect(etaFor({ kind: "now" }, "FAILURE_BY_RATE_LIMIT", failedAt, now)).toBeNull();
  expect(etaFor({ kind: "at", at: now + 90_500 }, "FAILURE", failedAt, now)).toBe(Math.ceil((now + 90_500) / 1000));
});
