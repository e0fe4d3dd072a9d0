import { describe, expect, it } from "vitest";
import { formatInTimeZone, localInputToIso } from "./format";
import {
  bucketStart,
  bucketStarts,
  DAY_MS,
  HOUR_MS,
  hoursAlignWithUtc,
  isValidTimeZone,
  localParts,
  MINUTE_MS,
  nextBucket,
  tzOffsetMs,
  ZONE_CACHE_LIMIT,
  zoneCacheSizes,
  zonedTimeToUtc,
} from "./zoned";

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const H = HOUR_MS;

describe("tzOffsetMs", () => {
  it("gives fixed offsets, whole and fractional", () => {
    expect(tzOffsetMs("UTC", utc("2026-06-01T00:00:00Z"))).toBe(0);
    expect(tzOffsetMs("America/Bogota", utc("2026-01-15T12:00:00Z"))).toBe(-5 * H);
    expect(tzOffsetMs("America/Bogota", utc("2026-07-15T12:00:00Z"))).toBe(-5 * H);
    expect(tzOffsetMs("Asia/Kolkata", utc("2026-07-15T12:00:00Z"))).toBe(5.5 * H);
    expect(tzOffsetMs("Asia/Kathmandu", utc("2026-07-15T12:00:00Z"))).toBe(5.75 * H);
    expect(tzOffsetMs("America/St_Johns", utc("2026-01-15T12:00:00Z"))).toBe(-3.5 * H);
  });

  it("changes exactly at New York's DST transitions (2026-03-08 and 2026-11-01)", () => {
    // Spring forward: 02:00 EST = 07:00 UTC.
    expect(tzOffsetMs("America/New_York", utc("2026-03-08T06:59:59.999Z"))).toBe(-5 * H);
    expect(tzOffsetMs("America/New_York", utc("2026-03-08T07:00:00Z"))).toBe(-4 * H);
    // Fall back: 02:00 EDT = 06:00 UTC.
    expect(tzOffsetMs("America/New_York", utc("2026-11-01T05:59:59.999Z"))).toBe(-4 * H);
    expect(tzOffsetMs("America/New_York", utc("2026-11-01T06:00:00Z"))).toBe(-5 * H);
  });

  it("ignores sub-second parts of the instant", () => {
    expect(tzOffsetMs("Asia/Kolkata", utc("2026-07-15T12:00:00.999Z"))).toBe(5.5 * H);
  });
});

describe("localParts / isValidTimeZone", () => {
  it("reads wall-clock parts (midnight as hour 0)", () => {
    expect(localParts("America/Bogota", utc("2026-11-25T05:00:00Z"))).toEqual({ year: 2026, month: 11, day: 25, hour: 0, minute: 0, second: 0 });
    expect(localParts("Asia/Kolkata", utc("2026-12-31T18:30:05Z"))).toEqual({ year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 5 });
  });

  it("knows IANA zones and nothing else", () => {
    for (const tz of ["UTC", "America/Bogota", "Asia/Kolkata", "Europe/Madrid"]) expect(isValidTimeZone(tz)).toBe(true);
    for (const tz of ["Mars/Olympus_Mons", "", "America/Nowhere", "not a zone"]) expect(isValidTimeZone(tz)).toBe(false);
  });
});

describe("zonedTimeToUtc", () => {
  it("converts ordinary wall-clock times", () => {
    expect(iso(zonedTimeToUtc("America/Bogota", 2026, 11, 25))).toBe("2026-11-25T05:00:00.000Z");
    expect(iso(zonedTimeToUtc("Asia/Kolkata", 2026, 11, 25, 9, 15))).toBe("2026-11-25T03:45:00.000Z");
    expect(iso(zonedTimeToUtc("UTC", 2026, 2, 29))).toBe("2026-03-01T00:00:00.000Z"); // overflow rolls over
    expect(iso(zonedTimeToUtc("America/New_York", 2026, 3, 8, 1, 59))).toBe("2026-03-08T06:59:00.000Z");
    expect(iso(zonedTimeToUtc("America/New_York", 2026, 3, 8, 3, 0))).toBe("2026-03-08T07:00:00.000Z");
    expect(iso(zonedTimeToUtc("America/New_York", 2026, 11, 1, 3, 0))).toBe("2026-11-01T08:00:00.000Z");
  });

  it("takes the first of a repeated time (New York falls back 2026-11-01)", () => {
    expect(iso(zonedTimeToUtc("America/New_York", 2026, 11, 1, 1, 30))).toBe("2026-11-01T05:30:00.000Z");
  });

  it("moves a skipped time past the gap (New York springs forward 2026-03-08)", () => {
    // 02:30 does not exist; like JavaScript's Date, it is read as 03:30 EDT.
    expect(iso(zonedTimeToUtc("America/New_York", 2026, 3, 8, 2, 30))).toBe("2026-03-08T07:30:00.000Z");
  });

  it("starts a day whose midnight is skipped at the end of the gap (America/Santiago 2026-09-06)", () => {
    const start = zonedTimeToUtc("America/Santiago", 2026, 9, 6);
    expect(iso(start)).toBe("2026-09-06T04:00:00.000Z");
    expect(localParts("America/Santiago", start)).toMatchObject({ day: 6, hour: 1, minute: 0 });
  });
});

describe("bucketStart / nextBucket / bucketStarts", () => {
  it("cuts minutes, hours and days in Asia/Kolkata at local boundaries", () => {
    const t = utc("2026-11-25T10:07:31.5Z"); // 15:37:31.5 IST
    expect(iso(bucketStart("Asia/Kolkata", "minute", t))).toBe("2026-11-25T10:07:00.000Z");
    expect(iso(bucketStart("Asia/Kolkata", "hour", t))).toBe("2026-11-25T09:30:00.000Z");
    expect(iso(bucketStart("Asia/Kolkata", "day", t))).toBe("2026-11-24T18:30:00.000Z");
    expect(iso(bucketStart("Asia/Kathmandu", "hour", t))).toBe("2026-11-25T09:15:00.000Z");
  });

  it("leaves an instant already on a boundary where it is", () => {
    const t = utc("2026-11-25T09:30:00Z");
    expect(bucketStart("Asia/Kolkata", "hour", t)).toBe(t);
    expect(bucketStart("America/Bogota", "day", utc("2026-11-25T05:00:00Z"))).toBe(utc("2026-11-25T05:00:00Z"));
    expect(bucketStart("America/Bogota", "day", utc("2026-11-25T04:59:59.999Z"))).toBe(utc("2026-11-24T05:00:00Z"));
  });

  it("steps to the next bucket", () => {
    const start = utc("2026-11-24T18:30:00Z");
    expect(nextBucket("Asia/Kolkata", "minute", start)).toBe(start + MINUTE_MS);
    expect(nextBucket("Asia/Kolkata", "hour", start)).toBe(start + HOUR_MS);
    expect(nextBucket("Asia/Kolkata", "day", start)).toBe(start + DAY_MS);
    expect(iso(nextBucket("America/New_York", "day", utc("2026-03-08T05:00:00Z")))).toBe("2026-03-09T04:00:00.000Z"); // 23 h
    expect(iso(nextBucket("America/New_York", "day", utc("2026-11-01T04:00:00Z")))).toBe("2026-11-02T05:00:00.000Z"); // 25 h
    expect(iso(nextBucket("America/Bogota", "day", utc("2026-12-31T05:00:00Z")))).toBe("2027-01-01T05:00:00.000Z");
  });

  it("lists the day buckets of America/Bogota overlapping a window", () => {
    const starts = bucketStarts("America/Bogota", "day", utc("2026-11-01T03:00:00Z"), utc("2026-11-08T05:00:00Z"));
    // 2026-11-01 03:00Z is still Oct 31 in Bogota; the window ends exactly at Nov 8 00:00 local.
    expect(starts.map(iso)).toEqual([
      "2026-10-31T05:00:00.000Z",
      "2026-11-01T05:00:00.000Z",
      "2026-11-02T05:00:00.000Z",
      "2026-11-03T05:00:00.000Z",
      "2026-11-04T05:00:00.000Z",
      "2026-11-05T05:00:00.000Z",
      "2026-11-06T05:00:00.000Z",
      "2026-11-07T05:00:00.000Z",
    ]);
    expect(starts.map((s) => formatInTimeZone(s, "America/Bogota", "day"))).toEqual(["10-31", "11-01", "11-02", "11-03", "11-04", "11-05", "11-06", "11-07"]);
  });

  it("gives 25 hour buckets on New York's fall-back day and 23 on its spring-forward day", () => {
    const fall = bucketStarts("America/New_York", "hour", utc("2026-11-01T04:00:00Z"), utc("2026-11-02T05:00:00Z"));
    expect(fall).toHaveLength(25);
    expect(fall.map((s) => localParts("America/New_York", s).hour).filter((h) => h === 1)).toHaveLength(2);
    const spring = bucketStarts("America/New_York", "hour", utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z"));
    expect(spring).toHaveLength(23);
    expect(spring.map((s) => localParts("America/New_York", s).hour)).not.toContain(2);
  });

  it("gives one day bucket per local date around New York's DST changes", () => {
    for (const [from, to] of [
      ["2026-03-05T12:00:00Z", "2026-03-12T12:00:00Z"],
      ["2026-10-29T12:00:00Z", "2026-11-05T12:00:00Z"],
    ] as const) {
      const starts = bucketStarts("America/New_York", "day", utc(from), utc(to));
      expect(starts).toHaveLength(8);
      for (const s of starts) expect(localParts("America/New_York", s)).toMatchObject({ hour: 0, minute: 0, second: 0 });
      expect(new Set(starts.map((s) => formatInTimeZone(s, "America/New_York", "day"))).size).toBe(8);
    }
  });

  it("gives one day bucket per local date when midnight is skipped (America/Santiago)", () => {
    const starts = bucketStarts("America/Santiago", "day", utc("2026-09-03T12:00:00Z"), utc("2026-09-09T12:00:00Z"));
    const labels = starts.map((s) => formatInTimeZone(s, "America/Santiago", "day"));
    expect(labels).toEqual(["09-03", "09-04", "09-05", "09-06", "09-07", "09-08", "09-09"]);
    // Sept 5 lasts until the clocks jump from 24:00 to 01:00 (04:00 UTC).
    expect(starts[3]! - starts[2]!).toBe(DAY_MS);
    expect(iso(starts[3]!)).toBe("2026-09-06T04:00:00.000Z");
    expect(starts[4]! - starts[3]!).toBe(DAY_MS - HOUR_MS);
  });

  it("covers any window with contiguous buckets, the first holding `from`", () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (const tz of ["UTC", "America/Bogota", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"]) {
      for (let i = 0; i < 40; i++) {
        const from = utc("2026-01-01T00:00:00Z") + Math.floor(rand() * 360 * DAY_MS);
        const to = from + 1 + Math.floor(rand() * 20 * DAY_MS);
        for (const unit of ["hour", "day"] as const) {
          const starts = bucketStarts(tz, unit, from, to);
          expect(starts[0]!).toBeLessThanOrEqual(from);
          expect(nextBucket(tz, unit, starts[0]!)).toBeGreaterThan(from);
          expect(starts.at(-1)!).toBeLessThan(to);
          expect(nextBucket(tz, unit, starts.at(-1)!)).toBeGreaterThanOrEqual(to);
          for (let k = 1; k < starts.length; k++) expect(starts[k]).toBe(nextBucket(tz, unit, starts[k - 1]!));
        }
      }
    }
  });
});

describe("hoursAlignWithUtc", () => {
  it("is true for whole-hour offsets and false for half and quarter hours", () => {
    const from = utc("2026-11-01T00:00:00Z");
    const to = utc("2026-11-25T00:00:00Z");
    expect(hoursAlignWithUtc("UTC", from, to)).toBe(true);
    expect(hoursAlignWithUtc("America/Bogota", from, to)).toBe(true);
    expect(hoursAlignWithUtc("America/New_York", from, to)).toBe(true);
    expect(hoursAlignWithUtc("Asia/Kolkata", from, to)).toBe(false);
    expect(hoursAlignWithUtc("Asia/Kathmandu", from, to)).toBe(false);
  });
});

describe("format helpers", () => {
  it("formats instants in a zone", () => {
    const t = utc("2026-11-25T14:02:03Z");
    expect(formatInTimeZone(t, "America/Bogota", "full")).toBe("2026-11-25 09:02:03");
    expect(formatInTimeZone(t, "Asia/Kolkata", "input")).toBe("2026-11-25T19:32");
    expect(formatInTimeZone(t, "America/Bogota", "hour")).toBe("11-25 09:00");
    expect(formatInTimeZone(t, "America/Bogota", "minute")).toBe("09:02");
  });

  it("reads datetime-local values in a zone", () => {
    expect(localInputToIso("2026-11-25T09:02", "America/Bogota")).toBe("2026-11-25T14:02:00.000Z");
    expect(localInputToIso("2026-11-25", "Asia/Kolkata")).toBe("2026-11-24T18:30:00.000Z");
    expect(localInputToIso(formatInTimeZone(utc("2026-07-04T16:45:00Z"), "America/New_York", "input"), "America/New_York")).toBe("2026-07-04T16:45:00.000Z");
  });
});

describe("the time-zone formatter cache", () => {
  it("keys on the resolved zone, so spellings of one zone share a formatter, and stays bounded", () => {
    const before = zoneCacheSizes().formatters;
    for (const tz of ["america/bogota", "AMERICA/BOGOTA", "America/Bogota", "aMeRiCa/BoGoTa"]) {
      expect(tzOffsetMs(tz, utc("2026-01-15T12:00:00Z"))).toBe(-5 * H);
    }
    expect(zoneCacheSizes().formatters - before).toBeLessThanOrEqual(1);
    // Thousands of spellings (of a zone with 26 letters) never grow either map past its limit.
    const zone = "America/Argentina/ComodRivadavia";
    for (let i = 0; i < 3 * ZONE_CACHE_LIMIT; i++) {
      const spelling = [...zone].map((ch, j) => ((i >> j % 24) & 1 ? ch.toUpperCase() : ch.toLowerCase())).join("");
      expect(isValidTimeZone(spelling)).toBe(true);
      const sizes = zoneCacheSizes();
      expect(sizes.spellings).toBeLessThanOrEqual(ZONE_CACHE_LIMIT);
      expect(sizes.formatters).toBeLessThanOrEqual(ZONE_CACHE_LIMIT);
    }
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
  });
});
