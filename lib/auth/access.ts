import { getSettings } from "@/lib/config";
import { ForbiddenError, UnauthorizedError } from "@/lib/http/errors";
import { isAllowedCookieRequest } from "./csrf";
import { hasRole, type Role } from "./roles";
import { getSessionUser, type AuthUser } from "./session";
import { authenticateApiToken } from "./tokens";

/**
 * Who is making an API request, if they may: an `Authorization: Bearer <api token>` (the
 * token's owner and role) or else the browser session cookie. Throws UnauthorizedError (401)
 * without valid credentials, ForbiddenError (403) for a cross-site state change or a role below
 * `minimumRole`.
 */
export async function requireUser(request: Request, minimumRole: Role): Promise<AuthUser> {
  const user = await authenticate(request);
  if (!hasRole(user.role, minimumRole)) {
    throw new ForbiddenError(`This needs the ${minimumRole} role; ${user.email} is ${user.role === "viewer" ? "a" : "an"} ${user.role}.`);
  }
  return user;
}

async function authenticate(request: Request): Promise<AuthUser> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    // A request that presents a token is judged by it alone, never by a cookie beside it.
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    const user = token ? await authenticateApiToken(token) : null;
    if (!user) throw new UnauthorizedError("Invalid or revoked API token.");
    return { ...user, via: "token" };
  }
  const user = await getSessionUser(request.headers);
  if (!user) throw new UnauthorizedError("Sign in, or send an API token as Authorization: Bearer <token>.");
  if (!isAllowedCookieRequest(request.method, request.headers, getSettings().PUBLIC_URL)) {
    throw new ForbiddenError("Cross-site request refused: it must come from a Faultline page.");
  }
  return user;
}
