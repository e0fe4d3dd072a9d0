import { describe, expect, it } from "vitest";
import { InvalidInputError } from "@/lib/http/errors";
import { allowedReasons, DEFAULT_RANGE, filtersToSearchParams, MAX_WINDOW_MS, parseFilters, RANGE_PRESETS, resolveWindow, UNKNOWN, type Filters } from "./filters";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 25, 15, 17, 23, 456);

const parse = (query: string) => parseFilters(new URLSearchParams(query));

/** The InvalidInputError a query raises. */
function errorOf(query: string | Record<string, string | string[] | undefined>): InvalidInputError {
  try {
    parseFilters(typeof query === "string" ? new URLSearchParams(query) : query);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

const EMPTY: Filters = { range: undefined, from: undefined, to: undefined, tz: undefined, reason: [], class: [], line: [], template: [], status: [], q: undefined };

describe("parseFilters", () => {
  it("gives empty lists and no values for an empty query", () => {
    expect(parse("")).toEqual(EMPTY);
  });

  it("reads every parameter", () => {
    const f = parse(
      "range=7d&from=2026-11-01T00:00:00Z&to=2026-11-02T12:30:00-05:00&tz=America/Bogota&reason=INVALID_PHONE&class=retry_later" +
        "&line=%2B573001112233&template=welcome_v2&status=open&q=%20305%20123%20",
    );
    expect(f).toEqual({
      range: "7d",
      from: "2026-11-01T00:00:00Z",
      to: "2026-11-02T12:30:00-05:00",
      tz: "America/Bogota",
      reason: ["INVALID_PHONE"],
      class: ["retry_later"],
      line: ["+573001112233"],
      template: ["welcome_v2"],
      status: ["open"],
      q: "305 123",
    });
  });

  it("splits comma lists, trimming, dropping empties and repeats", () => {
    const f = parse(`reason=${encodeURIComponent(" A , B,,A, ")}&class=retry_later,no_action&line=${encodeURIComponent(`${UNKNOWN},+57300`)}&template=a,b,c&status=open,resolved,open`);
    expect(f.reason).toEqual(["A", "B"]);
    expect(f.class).toEqual(["retry_later", "no_action"]);
    expect(f.line).toEqual([UNKNOWN, "+57300"]);
    expect(f.template).toEqual(["a", "b", "c"]);
    expect(f.status).toEqual(["open", "resolved"]);
  });

  it("treats blank values as absent", () => {
    expect(parse("reason=&class=%20,%20&q=%20%20&line=,")).toEqual(EMPTY);
  });

  it("accepts every preset", () => {
    for (const range of Object.keys(RANGE_PRESETS)) expect(parse(`range=${range}`).range).toBe(range);
  });

  it("reads a record of values (Next.js searchParams), joining repeated keys as a list", () => {
    const f = parseFilters({ reason: ["INVALID_PHONE", "REVOKED,FAILURE"], line: "+1", tz: undefined, page: "3" });
    expect(f.reason).toEqual(["INVALID_PHONE", "REVOKED", "FAILURE"]);
    expect(f.line).toEqual(["+1"]);
    expect(f.tz).toBeUndefined();
  });

  it("reads the first of repeated keys in URLSearchParams", () => {
    expect(parse("line=a&line=b").line).toEqual(["a"]);
  });

  it("accepts an ISO date without a time", () => {
    expect(parse("from=2026-11-01").from).toBe("2026-11-01");
  });

  const invalid: Array<[string, string]> = [
    ["range=2d", "range"],
    ["range=24H", "range"],
    ["from=yesterday", "from"],
    ["from=11/01/2026", "from"],
    ["from=2026-13-45T00:00:00Z", "from"],
    ["to=1700000000000", "to"],
    ["from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"],
    ["from=2026-11-02T00:00:00Z&to=2026-11-02T00:00:00Z", "to"],
    ["tz=Mars/Olympus_Mons", "tz"],
    ["tz=Bogota", "tz"],
    ["class=retry_soon", "class"],
    ["class=retry_later,RETRY_LATER", "class"],
    ["status=closed", "status"],
    ["status=open,Open", "status"],
    [`q=${"9".repeat(65)}`, "q"],
    [`line=${"1".repeat(65)}`, "line"],
    [`template=${"t".repeat(513)}`, "template"],
    [`reason=${"R".repeat(101)}`, "reason"],
    [`line=${Array.from({ length: 101 }, (_, i) => `l${i}`).join(",")}`, "line"],
  ];
  for (const [query, field] of invalid) {
    it(`rejects ${query.slice(0, 50)} naming ${field}`, () => {
      const err = errorOf(query);
      expect(err.status).toBe(400);
      expect(err.code).toBe("invalid_input");
      expect(err.details?.[0]?.path).toBe(field);
      expect(err.message.startsWith(`${field} `), err.message).toBe(true);
      expect(err.details?.[0]?.message.length).toBeGreaterThan(0);
    });
  }

  it("names every invalid field at once", () => {
    const err = errorOf("class=x&status=y&tz=z");
    expect(err.details?.map((d) => d.path).sort()).toEqual(["class", "status", "tz"]);
  });

  it("names the allowed values", () => {
    expect(errorOf("class=x").message).toContain("retry_later");
    expect(errorOf("status=x").message).toContain("acknowledged");
  });
});

describe("filtersToSearchParams", () => {
  it("writes lists comma-separated in a stable order, leaving empty values out", () => {
    const params = filtersToSearchParams({ q: "305", reason: ["A", "B"], line: [], tz: "UTC", range: "7d", template: undefined });
    expect(params.toString()).toBe("range=7d&tz=UTC&reason=A%2CB&q=305");
  });

  it("round-trips through parseFilters", () => {
    const f = parse(`range=30d&tz=Asia/Kolkata&reason=INVALID_PHONE,REVOKED&class=do_not_contact&line=${encodeURIComponent(`+57300,${UNKNOWN}`)}&template=${encodeURIComponent("campaña navidad")}&status=open&q=305`);
    expect(parseFilters(filtersToSearchParams(f))).toEqual(f);
    const custom = parse("from=2026-11-01T00:00:00.000Z&to=2026-11-02T00:00:00.000Z");
    expect(parseFilters(filtersToSearchParams(custom))).toEqual(custom);
  });
});

describe("resolveWindow", () => {
  it("ends each preset now", () => {
    for (const [range, ms] of Object.entries(RANGE_PRESETS)) {
      expect(resolveWindow(parse(`range=${range}`), NOW)).toEqual({ from: NOW - ms, to: NOW, preset: range });
    }
    expect(RANGE_PRESETS).toEqual({ "1h": HOUR, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY });
  });

  it("defaults to the last 24 hours", () => {
    expect(DEFAULT_RANGE).toBe("24h");
    expect(resolveWindow(parse(""), NOW)).toEqual({ from: NOW - DAY, to: NOW, preset: "24h" });
  });

  it("uses a custom from/to exactly, ahead of any preset", () => {
    const w = resolveWindow(parse("range=1h&from=2026-09-14T07:23:41.250Z&to=2026-11-02T13:07:05-05:00"), NOW);
    expect(w).toEqual({ from: Date.UTC(2026, 8, 14, 7, 23, 41, 250), to: Date.UTC(2026, 10, 2, 18, 7, 5), preset: null });
  });

  it("ends a window with only `from` now, and starts one with only `to` 24 hours before it", () => {
    expect(resolveWindow(parse("from=2026-11-20T00:00:00Z"), NOW)).toEqual({ from: Date.UTC(2026, 10, 20), to: NOW, preset: null });
    expect(resolveWindow(parse("to=2026-11-20T00:00:00Z"), NOW)).toEqual({ from: Date.UTC(2026, 10, 19), to: Date.UTC(2026, 10, 20), preset: null });
  });

  it("refuses windows longer than 400 days, naming from", () => {
    const from = new Date(NOW - MAX_WINDOW_MS).toISOString();
    expect(resolveWindow(parse(`from=${from}`), NOW).from).toBe(NOW - MAX_WINDOW_MS);
    expect(() => resolveWindow(parse(`from=${new Date(NOW - MAX_WINDOW_MS - 1).toISOString()}`), NOW)).toThrow(InvalidInputError);
    try {
      resolveWindow(parse("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"), NOW);
    } catch (err) {
      expect((err as InvalidInputError).details?.[0]?.path).toBe("from");
      expect((err as InvalidInputError).code).toBe("invalid_input");
    }
  });
});

describe("allowedReasons", () => {
  const DO_NOT_CONTACT = ["INVALID_PHONE", "FAILURE_BY_BLOCKED_CONTACT", "FAILURE_BY_OPTOUT_CONTACT", "FAILURE_BY_EXPERIMENT_NUMBER", "FAILURE_BY_UNABLE_TO_CONTACT"];

  it("does not restrict without reason or class", () => {
    expect(allowedReasons(parse(""))).toBeNull();
  });

  it("gives a class's reasons", () => {
    expect(allowedReasons(parse("class=do_not_contact"))?.sort()).toEqual([...DO_NOT_CONTACT].sort());
    expect(allowedReasons(parse("class=no_action"))).toEqual(["REVOKED"]);
    expect(allowedReasons(parse("class=retry_later,fix_then_retry,do_not_contact,no_action"))).toHaveLength(18);
  });

  it("canonicalises known reasons and keeps unrecognised ones verbatim", () => {
    expect(allowedReasons(parse("reason=invalid_phone,Failure_By_New_Rule"))).toEqual(["INVALID_PHONE", "Failure_By_New_Rule"]);
  });

  it("intersects reason and class", () => {
    expect(allowedReasons(parse("reason=INVALID_PHONE,FAILURE_BY_RATE_LIMIT,revoked&class=do_not_contact,no_action"))).toEqual(["INVALID_PHONE", "REVOKED"]);
    expect(allowedReasons(parse("reason=FAILURE_BY_NEW_RULE&class=do_not_contact"))).toEqual([]);
    expect(allowedReasons(parse("reason=INVALID_PHONE&class=retry_later"))).toEqual([]);
  });
});
