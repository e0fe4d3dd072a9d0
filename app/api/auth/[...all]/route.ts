import { getAuth } from "@/lib/auth/auth";
import { NotFoundError } from "@/lib/http/errors";
import { errorResponse } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

/**
 * better-auth's endpoints the app uses over HTTP. Everything else it offers (sign-up, password
 * reset by e-mail, account linking, …) answers 404 here, so no unused feature is reachable even
 * if a later better-auth release adds more. Sign-up is also disabled in lib/auth/auth.ts.
 */
const EXPOSED = new Set(["/api/auth/sign-in/email", "/api/auth/sign-out", "/api/auth/get-session"]);

async function handle(request: Request): Promise<Response> {
  if (!EXPOSED.has(new URL(request.url).pathname)) {
    return errorResponse(new NotFoundError("No such endpoint."));
  }
  return (await getAuth()).handler(request);
}

export const GET = handle;
export const POST = handle;
