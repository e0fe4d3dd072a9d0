import { requireUser } from "@/lib/auth/access";
import type { Role } from "@/lib/auth/roles";
import type { AuthUser } from "@/lib/auth/session";
import { errorResponse, json } from "./respond";

export interface RouteOptions {
  /** The least role that may call the route (admin ⊃ operator ⊃ viewer). */
  role: Role;
}

/** A route handler that says which role it needs (read by the access test of every route). */
export type JsonRouteHandler<Context> = (unknown extends Context
  ? (request: Request, context?: Context) => Promise<Response>
  : (request: Request, context: Context) => Promise<Response>) & { readonly minimumRole: Role };

/**
 * Wraps an /api route handler: the caller is authenticated and authorized first (401 without a
 * session or API token, 403 below `options.role`), every thrown error goes through the one error
 * mapper, and every JSON answer is marked uncacheable. Every /api route except the webhook,
 * health and better-auth's own endpoints is built with it.
 */
export function jsonRoute<Context = unknown>(
  options: RouteOptions,
  handler: (request: Request, user: AuthUser, context: Context) => Promise<unknown> | unknown,
): JsonRouteHandler<Context> {
  return responseRoute<Context>(options, async (request, user, context) => json(await handler(request, user, context)));
}

/**
 * Like jsonRoute, for a handler that builds its own Response (e.g. a streamed CSV download):
 * the same authentication, authorization and error mapping.
 */
export function responseRoute<Context = unknown>(
  options: RouteOptions,
  handler: (request: Request, user: AuthUser, context: Context) => Promise<Response> | Response,
): JsonRouteHandler<Context> {
  const route = async (request: Request, context: Context): Promise<Response> => {
    try {
      const user = await requireUser(request, options.role);
      return await handler(request, user, context);
    } catch (err) {
      return errorResponse(err);
    }
  };
  return Object.assign(route, { minimumRole: options.role }) as JsonRouteHandler<Context>;
}
