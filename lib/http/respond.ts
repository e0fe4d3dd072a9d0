import { isStorageUnavailable } from "@/db/errors";
import { logger } from "@/lib/log";
import { AppError, ConflictError } from "./errors";

export interface JsonAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
  /** A conflict's resource as it is now. */
  current?: unknown;
}

/**
 * The one mapping from a thrown value to an HTTP answer. Typed errors keep their message;
 * storage outages become 503 so senders retry; anything else is a 500 whose message never leaks.
 */
export function errorToAnswer(err: unknown): JsonAnswer {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details) body.error.details = err.details;
    if (err instanceof ConflictError && err.current !== undefined) body.current = err.current;
    return { status: err.status, body, headers: err.headers };
  }
  if (isStorageUnavailable(err)) {
    logger().warn({ code: (err as { code: string }).code, err: (err as Error).message }, "storage unavailable");
    return {
      status: 503,
      body: { error: { code: "service_unavailable", message: "Storage is unavailable; retry later." } },
      headers: { "Retry-After": "5" },
    };
  }
  logger().error({ err }, "unhandled error");
  return { status: 500, body: { error: { code: "internal_error", message: "Internal server error." } } };
}

/** A Web `Response` for route handlers. */
export function toResponse(answer: JsonAnswer): Response {
  return Response.json(answer.body, { status: answer.status, headers: answer.headers });
}

export function errorResponse(err: unknown): Response {
  return toResponse(errorToAnswer(err));
}

/** A JSON answer of the API: uncacheable, like every one. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/** 201 Created with a JSON body. */
export function created(body: unknown): Response {
  return json(body, 201);
}
