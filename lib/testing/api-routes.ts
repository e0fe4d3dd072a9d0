import fs from "node:fs";
import path from "node:path";

/** The methods a route file may export. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export const API_DIR = path.join(process.cwd(), "app", "api");

/** The only routes reachable without a Faultline session or API token, and why. */
export const PUBLIC_ROUTES: Record<string, string> = {
  "health/route.ts": "liveness probe for monitors; says nothing but ok/db/version",
  "webhooks/treble/route.ts": "Treble's deliveries, authenticated by the webhook secret",
  "auth/[...all]/route.ts": "better-auth's sign-in, sign-out and session endpoints, used before signing in",
};

/** Every route file under app/api (paths relative to it, with `/`), found on disk so a new route is never missed. */
export function routeFiles(dir = API_DIR): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [path.relative(API_DIR, full).split(path.sep).join("/")] : [];
  });
}
