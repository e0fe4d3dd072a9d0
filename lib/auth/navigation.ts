/**
 * Sign-in redirects, shared by proxy.ts, the pages and the sign-in form (no server code here).
 */

/** Set by proxy.ts on every page request: the path and query being rendered, for ?next=. */
export const PATH_HEADER = "x-faultline-path";

/** better-auth's session cookie (cookiePrefix "faultline"; `__Secure-` when served over https). */
export const SESSION_COOKIE_NAMES = ["faultline.session_token", "__Secure-faultline.session_token"] as const;

/** Stands in for this site while `next` is parsed: only a URL that stays on it is accepted. */
const THIS_SITE = "http://faultline.invalid";

/** Pages a sign-in must not come back to. */
const NOT_AFTER_SIGN_IN = new Set(["/login", "/setup"]);

/**
 * Where to go after signing in: the path and query of `next` when it stays on this site, else the
 * overview. Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example`
 * or `/\evil.example` would leave the site: control characters and backslashes are refused
 * outright, and what remains must parse (as the browser will) to this origin.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || /[\u0000-\u001f\u007f\\]/.test(next)) return "/";
  let url: URL;
  try {
    url = new URL(next, THIS_SITE);
  } catch {
    return "/";
  }
  if (url.origin !== THIS_SITE || NOT_AFTER_SIGN_IN.has(url.pathname)) return "/";
  return `${url.pathname}${url.search}`;
}

export function loginPath(next: string | null | undefined): string {
  const target = safeNextPath(next);
  return target === "/" ? "/login" : `/login?next=${encodeURIComponent(target)}`;
}
