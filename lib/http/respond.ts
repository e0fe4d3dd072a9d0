import { AppError } from "./errors";

export interface JsonAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** SQLite codes that mean "cannot write right now": the sender should retry later. */
const UNAVAILABLE_SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|PROTOCOL|NOLFS)/;

/**
 * The one mapping from a thrown value to an HTTP answer. Typed errors keep their message;
 * storage outages become 503 so senders retry; anything else is a 500 whose message never leaks.
 */
export function errorToAnswer(err: unknown): JsonAnswer {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details) body.error.details = err.details;
    return { status: err.status, body, headers: err.headers };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE_SQLITE_CODES.test(code)) {
    return {
      status: 503,
      body: { error: { code: "service_unavailable", message: "Storage is unavailable; retry later." } },
      headers: { "Retry-After": "5" },
    };
  }
  console.error("Unhandled error", err);
  return { status: 500, body: { error: { code: "internal_error", message: "Internal server error." } } };
}

/** A Web `Response` for route handlers. */
export function toResponse(answer: JsonAnswer): Response {
  return Response.json(answer.body, { status: answer.status, headers: answer.headers });
}

export function errorResponse(err: unknown): Response {
  return toResponse(errorToAnswer(err));
}
