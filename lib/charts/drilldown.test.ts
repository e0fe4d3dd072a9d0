import { describe, expect, it } from "vitest";
import { parseFilters, type Filters } from "@/lib/filters";
import { drillHref, keepFilterParams } from "./drilldown";

const current = (query: string): Filters & { tz: string } => {
  const f = parseFilters(new URLSearchParams(query));
  return { ...f, tz: f.tz ?? "America/Bogota" };
};
const window = { from: "2026-11-24T15:17:23.456Z", to: "2026-11-25T15:17:23.456Z" };

/** The path and parsed filters of a drill-down link. */
function open(href: string): { path: string; filters: Filters; params: URLSearchParams } {
  const url = new URL(href, "http://localhost");
  return { path: url.pathname, filters: parseFilters(url.searchParams), params: url.searchParams };
}

describe("drillHref", () => {
  it("pins the window to absolute times instead of the preset", () => {
    const { path, filters, params } = open(drillHref("/failures", current("range=24h&tz=Asia/Kolkata"), window, { reason: ["INVALID_PHONE"] }));
    expect(path).toBe("/failures");
    expect(params.has("range")).toBe(false);
    expect(filters).toMatchObject({ from: window.from, to: window.to, tz: "Asia/Kolkata", reason: ["INVALID_PHONE"] });
  });

  it("replaces the drilled dimension and keeps every other filter", () => {
    const now = current(`range=7d&reason=FAILURE,REVOKED&line=${encodeURIComponent("+571,(unknown)")}&template=a&status=open&q=305&class=retry_later`);
    const { filters } = open(drillHref("/failures", now, window, { line: ["+572"] }));
    expect(filters).toEqual({
      range: undefined,
      from: window.from,
      to: window.to,
      tz: "America/Bogota",
      reason: ["FAILURE", "REVOKED"],
      class: ["retry_later"],
      line: ["+572"],
      template: ["a"],
      status: ["open"],
      q: "305",
    });
  });

  it("drills into the unknown line or template by name", () => {
    const { filters } = open(drillHref("/failures", current(""), window, { template: ["(unknown)"] }));
    expect(filters.template).toEqual(["(unknown)"]);
  });

  it("pins a timeline segment to its own slice", () => {
    const slice = { from: "2026-11-25T05:00:00.000Z", to: "2026-11-25T15:17:23.456Z" };
    const { filters } = open(drillHref("/failures", current("range=24h&class=do_not_contact"), window, { ...slice, class: ["retry_later"] }));
    expect(filters).toMatchObject({ from: slice.from, to: slice.to, class: ["retry_later"] });
  });

  it("keeps a custom window when the view already had one", () => {
    const custom = { from: "2026-11-01T00:00:00.000Z", to: "2026-11-02T00:00:00.000Z" };
    const { filters } = open(drillHref("/lines/x", current(`from=${custom.from}&to=${custom.to}`), custom, { status: ["resolved"] }));
    expect(filters).toMatchObject({ ...custom, status: ["resolved"] });
  });

  it("encodes values that need it (+, commas between values, non-ASCII)", () => {
    const href = drillHref("/failures", current(""), window, { line: ["+573001112233"], template: ["campaña_navidad"] });
    expect(href).not.toMatch(/line=\+/);
    expect(open(href).filters).toMatchObject({ line: ["+573001112233"], template: ["campaña_navidad"] });
  });
});

describe("keepFilterParams", () => {
  it("drops paging and unknown keys", () => {
    const kept = keepFilterParams(new URLSearchParams("cursor=abc&limit=25&sort=line&range=7d&line=%2B57&foo=bar&q=305"));
    expect(kept.toString()).toBe("range=7d&line=%2B57&q=305");
  });
});
