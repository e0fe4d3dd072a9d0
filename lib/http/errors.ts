/**
 * Typed errors thrown by lib/ verbs. Only lib/http/respond.ts turns them into HTTP answers, so
 * business code never speaks HTTP.
 */
export interface ErrorDetail {
  /** Where the problem is, e.g. "[3].failure_reason" or "timestamp". */
  path?: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details?: ErrorDetail[];
  /** Extra response headers (e.g. Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(message: string, details?: ErrorDetail[], headers?: Record<string, string>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
    this.headers = headers;
  }
}

/**
 * The codes a 400 answers with. `invalid_input` is every value the caller got wrong (a query
 * parameter, a path segment, a body field, a filter), always with `details` naming it; the others
 * each name a refusal of another kind.
 */
export const BAD_REQUEST_CODES = {
  invalid_input: "a parameter or field is not acceptable (details name it)",
  invalid_json: "the body is not JSON, not a JSON object, or nested too deep",
  invalid_encoding: "the body is not UTF-8",
  incomplete_body: "the body ended before its Content-Length",
  invalid_payload: "a webhook body that is not one event object or a batch of them",
  confirmation_mismatch: "the typed confirmation does not match",
  too_many_contacts: "the view holds more contacts than one plan may",
  too_many_columns: "the contacts carry more session keys than one CSV may",
} as const;
export type BadRequestCode = keyof typeof BAD_REQUEST_CODES;

export class InvalidInputError extends AppError {
  readonly status = 400;
  readonly code: BadRequestCode;
  constructor(message: string, details?: ErrorDetail[], code: BadRequestCode = "invalid_input") {
    super(message, details);
    this.code = code;
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = "unauthorized";
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = "forbidden";
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = "not_found";
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = "method_not_allowed";
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = "conflict";
  /** The resource as it is now, so the loser of a race can show what happened (sent as `current`). */
  readonly current?: unknown;
  constructor(message: string, details?: ErrorDetail[], current?: unknown) {
    super(message, details);
    this.current = current;
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = "payload_too_large";
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = "unsupported_media_type";
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly code = "rate_limited";
  constructor(message: string, retryAfterSeconds: number) {
    super(message, undefined, { "Retry-After": String(retryAfterSeconds) });
  }
}

/** A receiver we sent to (an alert channel) refused or could not be reached. */
export class DeliveryFailedError extends AppError {
  readonly status = 502;
  readonly code = "delivery_failed";
}

/** A read ran past QUERY_TIMEOUT_MS and was cancelled. */
export class QueryTimeoutError extends AppError {
  readonly status = 503;
  readonly code = "query_timeout";
}
