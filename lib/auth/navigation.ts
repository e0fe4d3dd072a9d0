/**
 * Sign-in redirects, shared by proxy.ts, the pages and the sign-in form (no server code here).
 */

/** Set by proxy.ts on every page request: the path and query being rendered, for ?next=. */
export const PATH_HEADER = "x-faultline-path";

/** better-auth's session cookie (cookiePrefix "faultline"; `__Secure-` when served over https). */
export const SESSION_COOKIE_NAMES = ["faultline.session_token", "__Secure-faultline.session_token"] as const;

/**
 * Where to go after signing in: a path on this site only (never `//host` or `/\host`, which
 * browsers treat as another site), else the overview.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next === "/login" || next.startsWith("/login?") || next === "/setup") return "/";
  return next;
}

export function loginPath(next: string | null | undefined): string {
  const target = safeNextPath(next);
  return target === "/" ? "/login" : `/login?next=${encodeURIComponent(target)}`;
}
