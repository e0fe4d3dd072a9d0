import { errorResponse } from "./respond";

/**
 * Wraps a route handler so every thrown error goes through the one error mapper, and every
 * JSON answer is marked uncacheable.
 */
export function jsonRoute<Args extends unknown[]>(handler: (request: Request, ...args: Args) => Promise<unknown> | unknown) {
  return async (request: Request, ...args: Args): Promise<Response> => {
    try {
      const body = await handler(request, ...args);
      return Response.json(body, { headers: { "Cache-Control": "no-store" } });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
