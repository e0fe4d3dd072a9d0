import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@/lib/http/errors";
import { parseEventTime } from "./timestamp";

const RECEIVED = Date.UTC(2026, 10, 25, 15, 0, 0);
const at = (value: unknown) => parseEventTime(value, RECEIVED);

function problemOf(value: unknown, path = "timestamp") {
  try {
    parseEventTime(value, RECEIVED, path);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).details?.[0];
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe("parseEventTime", () => {
  it("reads ISO 8601 in UTC (Z)", () => {
    expect(at("2026-11-25T14:02:00Z")).toEqual({ ms: Date.UTC(2026, 10, 25, 14, 2, 0), fromReceipt: false });
    expect(at("2026-11-25T14:02:00.123Z").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0, 123));
    expect(at("2026-11-25t14:02:00z").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0));
  });

  it("applies an explicit offset", () => {
    const utc = Date.UTC(2026, 10, 25, 14, 2, 0);
    expect(at("2026-11-25T09:02:00-05:00").ms).toBe(utc);
    expect(at("2026-11-25T19:32:00+05:30").ms).toBe(utc);
    expect(at("2026-11-25T19:32:00+0530").ms).toBe(utc);
    expect(at("2026-11-25T16:02:00+02").ms).toBe(utc);
  });

  it("treats an ISO time without a zone as UTC", () => {
    expect(at("2026-11-25T14:02:00").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0));
    expect(at("2026-11-25 14:02").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0));
    expect(at("2026-11-25").ms).toBe(Date.UTC(2026, 10, 25));
  });

  it("keeps sub-second precision up to milliseconds", () => {
    expect(at("2026-11-25T14:02:00.5Z").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0, 500));
    expect(at("2026-11-25T14:02:00,250Z").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0, 250));
    expect(at("2026-11-25T14:02:00.123456789Z").ms).toBe(Date.UTC(2026, 10, 25, 14, 2, 0, 123));
  });

  it("reads unix seconds and milliseconds, as numbers or numeric strings", () => {
    const ms = Date.UTC(2026, 10, 25, 14, 2, 0);
    expect(at(ms / 1000)).toEqual({ ms, fromReceipt: false });
    expect(at(ms)).toEqual({ ms, fromReceipt: false });
    expect(at(String(ms / 1000)).ms).toBe(ms);
    expect(at(String(ms)).ms).toBe(ms);
    expect(at(` ${ms / 1000} `).ms).toBe(ms);
    expect(at(ms / 1000 + 0.25).ms).toBe(ms + 250);
    expect(at(`${ms / 1000}.75`).ms).toBe(ms + 750);
  });

  it("uses the receipt time when the timestamp is missing", () => {
    for (const missing of [undefined, null, ""]) {
      expect(at(missing)).toEqual({ ms: RECEIVED, fromReceipt: true });
    }
  });

  it("rejects what is not a time, naming the path", () => {
    for (const bad of ["yesterday", "2026-11-25T14:02:00Q", "25/11/2026", "2026-11-25T14:02:00+5", true, {}, [], "-1"]) {
      expect(problemOf(bad, "data.timestamp")?.path).toBe("data.timestamp");
    }
  });

  it("rejects impossible calendar dates instead of rolling them over", () => {
    expect(problemOf("2026-02-30T00:00:00Z")?.message).toMatch(/calendar/);
    expect(problemOf("2026-13-01")?.message).toMatch(/calendar/);
    expect(problemOf("2026-11-25T24:00:00Z")?.message).toMatch(/calendar/);
    expect(problemOf("2026-11-25T14:60:00Z")?.message).toMatch(/calendar/);
    expect(at("2028-02-29").ms).toBe(Date.UTC(2028, 1, 29));
  });

  it("rejects non-positive, non-finite and out-of-range times", () => {
    expect(problemOf(0)?.message).toMatch(/positive/);
    expect(problemOf(-5)?.message).toMatch(/positive/);
    expect(problemOf(Number.NaN)?.message).toMatch(/positive/);
    expect(problemOf(Number.POSITIVE_INFINITY)?.message).toMatch(/positive/);
    expect(problemOf("1999-12-31T23:59:59Z")?.message).toMatch(/outside/);
    expect(problemOf("2100-01-01T00:00:00Z")?.message).toMatch(/outside/);
    expect(problemOf(946684799)?.message).toMatch(/outside/); // 1999-12-31T23:59:59Z in seconds
    expect(at(946684800).ms).toBe(Date.UTC(2000, 0, 1));
  });
});
