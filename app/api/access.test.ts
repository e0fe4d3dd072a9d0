import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, hasRole, type Role } from "@/lib/auth/roles";
import { API_DIR, HTTP_METHODS, PUBLIC_ROUTES, routeFiles } from "@/lib/testing/api-routes";
import { createTestUser, signInCookie, type TestUser } from "@/lib/testing/auth";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";

// Every route file under app/api, found on disk, so a new route is checked without anyone
// remembering to add it here: without credentials it must answer 401, with an API token of a role
// below its minimum 403, and a state change from a browser session without a Faultline Origin 403.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined });
afterAll(() => tempDb.cleanup());

/** A URL and Next's context for a route file, with placeholder values for its dynamic segments. */
function requestTarget(file: string): { url: string; context: { params: Promise<Record<string, string | string[]>> } } {
  const params: Record<string, string | string[]> = {};
  const segments = path.dirname(file).split("/").map((segment) => {
    const dynamic = /^\[(\.\.\.)?(\w+)\]$/.exec(segment);
    if (!dynamic) return segment;
    // An id no row has, so a route that acts on it changes nothing.
    params[dynamic[2]!] = dynamic[1] ? ["999999"] : "999999";
    return "999999";
  });
  return { url: `http://localhost:3000/api/${segments.join("/")}`, context: { params: Promise.resolve(params) } };
}

type Handler = ((request: Request, context: unknown) => Promise<Response>) & { minimumRole?: Role };

async function call(handler: Handler, file: string, method: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; json: unknown }> {
  const { url, context } = requestTarget(file);
  const hasBody = method !== "GET";
  const response = await handler(
    new Request(url, { method, headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...headers }, body: hasBody ? "{}" : undefined }),
    context,
  );
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json };
}

const files = routeFiles();
const users = {} as Record<Role, TestUser>;
/** An admin's browser session, for the cross-site checks of state-changing methods. */
let adminCookie: string;

beforeAll(async () => {
  for (const role of ROLES) users[role] = await createTestUser(role);
  const auth = (await import("./auth/[...all]/route")) as { POST: (request: Request) => Promise<Response> };
  adminCookie = await signInCookie(auth.POST, users.admin.user.email);
});

describe("access to every /api route", () => {
  it("finds the route files, including every public one", () => {
    expect(files.length).toBeGreaterThan(8);
    for (const file of Object.keys(PUBLIC_ROUTES)) expect(files).toContain(file);
  });

  for (const file of files) {
    if (PUBLIC_ROUTES[file]) continue;
    describe(`/api/${path.dirname(file)}`, () => {
      it("declares a minimum role for each method, answers 401 without credentials, 403 below the role", async () => {
        const mod = (await import(/* @vite-ignore */ path.join(API_DIR, file))) as Record<string, unknown>;
        const methods = HTTP_METHODS.filter((m) => typeof mod[m] === "function");
        expect(methods.length, "exports at least one HTTP method").toBeGreaterThan(0);
        for (const method of methods) {
          const handler = mod[method] as Handler;
          const label = `${method} /api/${path.dirname(file)}`;
          expect(ROLES, `${label} is built with jsonRoute({ role })`).toContain(handler.minimumRole);
          const minimum = handler.minimumRole!;

          const anonymous = expectError(await call(handler, file, method, {}), 401, "unauthorized");
          expect(anonymous.message, label).toMatch(/sign in|token/i);
          expectError(await call(handler, file, method, { authorization: "Bearer flt_not-a-real-token" }), 401, "unauthorized");
          expectError(await call(handler, file, method, { authorization: "Basic dXNlcjpwYXNz" }), 401, "unauthorized");

          if (method !== "GET") {
            // A browser session may change state only from a Faultline page.
            expectError(await call(handler, file, method, { cookie: adminCookie }), 403, "forbidden");
            expectError(await call(handler, file, method, { cookie: adminCookie, origin: "https://evil.example" }), 403, "forbidden");
            const sameSite = await call(handler, file, method, { cookie: adminCookie, origin: "http://localhost:3000", host: "localhost:3000" });
            expect([401, 403], `${label} from a Faultline page`).not.toContain(sameSite.status);
          }
          for (const role of ROLES) {
            const answer = await call(handler, file, method, users[role].headers);
            if (hasRole(role, minimum)) {
              expect([401, 403], `${label} as ${role}: ${JSON.stringify(answer.json)}`).not.toContain(answer.status);
            } else {
              expectError(answer, 403, "forbidden");
            }
          }
        }
      });
    });
  }

  it("keeps the public routes public, for the reasons given", async () => {
    const health = await import("./health/route");
    expect((await health.GET()).status).toBe(200);
    for (const file of Object.keys(PUBLIC_ROUTES)) {
      const mod = (await import(/* @vite-ignore */ path.join(API_DIR, file))) as Record<string, Handler>;
      for (const method of HTTP_METHODS) expect(mod[method]?.minimumRole, `${file} ${method}`).toBeUndefined();
    }
  });
});
