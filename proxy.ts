import { NextResponse, type NextRequest } from "next/server";
import { loginPath, PATH_HEADER, SESSION_COOKIE_NAMES } from "@/lib/auth/navigation";

/**
 * Optimistic gate for pages: without a session cookie, go to /login (and come back afterwards).
 * The real check is each page's requirePageUser(), close to the data, as Next's docs advise: the
 * proxy never touches the database. It also tells the page which path it is rendering, for ?next=.
 */
export function proxy(request: NextRequest) {
  const path = `${request.nextUrl.pathname}${request.nextUrl.search}`;
  if (!SESSION_COOKIE_NAMES.some((name) => request.cookies.has(name))) {
    return NextResponse.redirect(new URL(loginPath(path), request.url));
  }
  const headers = new Headers(request.headers);
  headers.set(PATH_HEADER, path);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Everything but the API (which answers 401 itself), Next's assets, and the pages for signing in.
  matcher: ["/((?!api/|_next/static/|_next/image|favicon\\.ico$|icon\\.svg$|login$|setup$).*)"],
};
