import { describe, expect, it } from "vitest";
import { AppError, QueryTimeoutError, TooManyRequestsError } from "@/lib/http/errors";
import { errorToAnswer } from "@/lib/http/respond";
import { asLocalError, fromWire, toWire } from "./protocol";

/** What a typed error of another bundle's copy of lib/http/errors.ts looks like from here. */
function foreign(status: number, code: string, message: string, headers?: Record<string, string>): Error {
  return Object.assign(new Error(message), { status, code, headers });
}

describe("errors crossing threads and bundle copies", () => {
  it("keeps a typed error's status, code, message and headers through a worker", () => {
    const back = fromWire(toWire(new TooManyRequestsError("You already have 2 heavy reads running; retry in 1 s.", 1)));
    expect(back).toBeInstanceOf(AppError);
    expect(errorToAnswer(back)).toEqual({
      status: 429,
      body: { error: { code: "rate_limited", message: "You already have 2 heavy reads running; retry in 1 s." } },
      headers: { "Retry-After": "1" },
    });
  });

  it("maps another copy's query timeout to this copy's 503 query_timeout", () => {
    const err = foreign(503, "query_timeout", "This query took longer than 10 s and was stopped. Narrow the time window or the filters, then retry.");
    expect(err).not.toBeInstanceOf(AppError);
    const local = asLocalError(err);
    expect(local).toBeInstanceOf(AppError);
    expect(errorToAnswer(local)).toMatchObject({ status: 503, body: { error: { code: "query_timeout", message: err.message } } });
  });

  it("leaves this copy's typed errors and storage errors as they are", () => {
    const own = new QueryTimeoutError("x");
    expect(asLocalError(own)).toBe(own);
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    expect(asLocalError(busy)).toBe(busy);
    expect(errorToAnswer(fromWire(toWire(busy)))).toMatchObject({ status: 503, body: { error: { code: "service_unavailable" } } });
  });
});
