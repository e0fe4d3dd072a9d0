/** Methods that change nothing, so a cross-site request with them can do no harm. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Whether a cookie-authenticated request may change state: it must come from a page of this
 * site, i.e. carry an Origin whose host is the request's Host (or PUBLIC_URL's). Browsers send
 * Origin on every cross-site and same-site POST/PATCH/DELETE, so a missing one is refused too.
 * Requests with an API token need no such check: a browser never attaches one by itself.
 */
export function isAllowedCookieRequest(method: string, headers: Headers, publicUrl: string | undefined): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  const origin = headers.get("origin");
  if (!origin || origin === "null") return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  if (host === headers.get("host")) return true;
  return publicUrl !== undefined && host === new URL(publicUrl).host;
}
