import { describe, expect, it } from "vitest";
import { lastDigestTime, nextRetryAt, parseRetryAfter, quietHoursEnd } from "./schedule";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("retry schedule", () => {
  it("waits 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, then 6 h until 24 h after the first attempt", () => {
    const first = Date.UTC(2026, 10, 25, 12, 0);
    let now = first;
    const waits: number[] = [];
    for (let attempts = 1; ; attempts++) {
      const next = nextRetryAt(attempts, first, now, null);
      if (next === null) break;
      waits.push(next - now);
      now = next;
    }
    expect(waits).toEqual([30_000, 2 * MIN, 10 * MIN, HOUR, 3 * HOUR, 6 * HOUR, 6 * HOUR, 6 * HOUR]);
    expect(now - first).toBeLessThanOrEqual(24 * HOUR);
  });

  it("honours a longer Retry-After (capped at 6 h), never a shorter one", () => {
    const now = Date.UTC(2026, 10, 25, 12, 0);
    expect(nextRetryAt(1, now, now, 5 * MIN)).toBe(now + 5 * MIN);
    expect(nextRetryAt(1, now, now, 1000)).toBe(now + 30_000);
    expect(nextRetryAt(1, now, now, 48 * HOUR)).toBe(now + 6 * HOUR);
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe("quiet hours", () => {
  const quiet = { start: "22:00", end: "07:00", tz: "America/Bogota" }; // UTC−5
  it("hold across midnight in the rule's zone and end at the local end time", () => {
    // 23:30 in Bogotá = 04:30 UTC next day; quiet until 07:00 Bogotá = 12:00 UTC.
    expect(quietHoursEnd(quiet, Date.UTC(2026, 10, 26, 4, 30))).toBe(Date.UTC(2026, 10, 26, 12, 0));
    // 06:59 Bogotá: still quiet, ends a minute later.
    expect(quietHoursEnd(quiet, Date.UTC(2026, 10, 26, 11, 59))).toBe(Date.UTC(2026, 10, 26, 12, 0));
    // 07:00 and noon Bogotá: not quiet.
    expect(quietHoursEnd(quiet, Date.UTC(2026, 10, 26, 12, 0))).toBeNull();
    expect(quietHoursEnd(quiet, Date.UTC(2026, 10, 26, 17, 0))).toBeNull();
    expect(quietHoursEnd(null, Date.UTC(2026, 10, 26, 4, 30))).toBeNull();
  });

  it("work within one day too", () => {
    const lunch = { start: "12:00", end: "13:30", tz: "UTC" };
    expect(quietHoursEnd(lunch, Date.UTC(2026, 10, 26, 12, 15))).toBe(Date.UTC(2026, 10, 26, 13, 30));
    expect(quietHoursEnd(lunch, Date.UTC(2026, 10, 26, 13, 30))).toBeNull();
  });
});

describe("digest time", () => {
  it("is the latest local scheduled time at or before now", () => {
    const digest = { time: "08:00", tz: "America/Bogota" };
    expect(lastDigestTime(digest, Date.UTC(2026, 10, 26, 13, 0))).toBe(Date.UTC(2026, 10, 26, 13, 0));
    expect(lastDigestTime(digest, Date.UTC(2026, 10, 26, 12, 59))).toBe(Date.UTC(2026, 10, 25, 13, 0));
    // Across a DST change (Santiago, UTC−3 in November): 08:00 local = 11:00 UTC.
    expect(lastDigestTime({ time: "08:00", tz: "America/Santiago" }, Date.UTC(2026, 10, 26, 11, 30))).toBe(Date.UTC(2026, 10, 26, 11, 0));
  });
});
