import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_DIR, HTTP_METHODS, PUBLIC_ROUTES, routeFiles } from "@/lib/testing/api-routes";
import { createTestUser, type TestUser } from "@/lib/testing/auth";
import { setupTempDatabase, TEST_WEBHOOK_SECRET } from "@/lib/testing/temp-db";
import { expectError } from "@/lib/testing/webhook-client";

// Every route file under app/api, found on disk (as in access.test.ts): each method must either
// take a bad query parameter, path segment or body field with 400 `invalid_input` naming it — the
// one code for a bad value, whichever lib verb or route parses it — or say why it takes none.
//
// With a Treble API key, so re-deployment is available and a plan's body is checked.
const tempDb = setupTempDatabase({ WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_SIGNING_SECRET: undefined, TREBLE_API_KEY: "test-treble-key" });
afterAll(() => tempDb.cleanup());

interface BadRequest {
  /** The query string (without `?`). */
  query?: string;
  /** Values of the route's dynamic segments (the others get a valid-looking placeholder). */
  params?: Record<string, string>;
  body?: unknown;
  /** The parameter or field the answer must name first. */
  names: string;
}

const noInput = (why: string) => why;
const badId = (name = "id"): BadRequest => ({ params: { [name]: "abc" }, body: {}, names: name });

/** `METHOD dir` → bad requests, or why the method has no input to get wrong. */
const BAD_INPUT: Record<string, BadRequest[] | string> = {
  "GET alerts/channels": noInput("lists every channel"),
  "POST alerts/channels": [{ body: { type: "pager", name: "x" }, names: "type" }],
  "PATCH alerts/channels/[id]": [badId(), { params: { id: "1" }, body: { enabled: "yes" }, names: "enabled" }],
  "DELETE alerts/channels/[id]": [badId()],
  "POST alerts/channels/[id]/rotate-secret": [badId()],
  "POST alerts/channels/[id]/test": [badId()],
  "GET alerts/deliveries": [{ query: "limit=0", names: "limit" }, { query: "cursor=nope", names: "cursor" }],
  "POST alerts/deliveries/[id]/retry": noInput("any text may be a delivery's id: an unknown one is 404"),
  "GET alerts/rules": noInput("lists every rule"),
  "POST alerts/rules": [{ body: { name: "" }, names: "name" }],
  "GET alerts/rules/[id]": [badId()],
  "PATCH alerts/rules/[id]": [badId()],
  "DELETE alerts/rules/[id]": [badId()],
  "POST alerts/rules/preview": [{ body: { name: "" }, names: "name" }],
  "POST alerts/rules/recommended": [{ body: { channelIds: "all" }, names: "channelIds" }],
  "GET audit": [{ query: "limit=0", names: "limit" }, { query: "before=abc", names: "before" }],
  "GET contacts/count": [{ query: "range=2d", names: "range" }, { query: "status=closed", names: "status" }],
  "GET contacts/export": [{ query: "list=everyone", names: "list" }, { query: "list=retry&bom=2", names: "bom" }, { query: "list=retry&class=soon", names: "class" }],
  "GET events/quarantined": [{ query: "limit=501", names: "limit" }, { query: "cursor=nope", names: "cursor" }],
  "POST events/reprocess": [{ body: { scope: "all" }, names: "scope" }],
  "GET facets": [{ query: "range=2d", names: "range" }],
  "GET failures": [{ query: "sort=phone", names: "sort" }, { query: "limit=0", names: "limit" }, { query: "cursor=nope", names: "cursor" }, { query: "tz=Mars/Base", names: "tz" }],
  "GET failures/[id]": [badId()],
  "GET failures/export": [{ query: "count=yes", names: "count" }, { query: "status=closed", names: "status" }],
  "GET incidents": [{ query: "sort=phone", names: "sort" }, { query: "dir=up", names: "dir" }, { query: "limit=501", names: "limit" }, { query: "cursor=nope", names: "cursor" }],
  "GET incidents/[id]": [badId()],
  "POST incidents/[id]/acknowledge": [badId(), { params: { id: "1" }, body: { note: 5 }, names: "note" }],
  "POST incidents/[id]/assign": [badId(), { params: { id: "1" }, body: {}, names: "userId" }],
  "POST incidents/[id]/comments": [badId(), { params: { id: "1" }, body: { text: " " }, names: "text" }],
  "POST incidents/[id]/ignore": [badId()],
  "POST incidents/[id]/reopen": [badId()],
  "POST incidents/[id]/resolve": [badId()],
  "POST incidents/[id]/snooze": [badId(), { params: { id: "1" }, body: { hours: 0 }, names: "hours" }],
  "POST incidents/[id]/unsnooze": [badId()],
  "GET incidents/assignees": noInput("lists every enabled user"),
  "POST incidents/bulk": [{ body: { action: "explode", ids: [1] }, names: "action" }, { body: { action: "resolve", filter: { range: "2d" } }, names: "filter.range" }],
  "GET incidents/export": [{ query: "bom=2", names: "bom" }, { query: "from=yesterday", names: "from" }],
  "GET lines": noInput("lists every labelled line"),
  "PUT lines/[line]/label": [{ params: { line: "+573001112233" }, body: { label: "" }, names: "label" }],
  "GET me": noInput("the caller"),
  "PATCH me": [{ body: { locale: "xx" }, names: "locale" }],
  "GET redeploy/plans": [{ query: "limit=0", names: "limit" }, { query: "before=abc", names: "before" }],
  "POST redeploy/plans": [{ body: { include: "everyone" }, names: "include" }],
  "GET redeploy/plans/[id]": [badId()],
  "POST redeploy/plans/[id]/cancel": [badId()],
  "POST redeploy/plans/[id]/pause": [badId()],
  "POST redeploy/plans/[id]/resume": [badId()],
  "POST redeploy/plans/[id]/send": [badId()],
  "GET redeploy/settings": noInput("the settings now"),
  "PATCH redeploy/settings": [{ body: { enabled: "yes" }, names: "enabled" }],
  "GET sessions": [{ query: "limit=0", names: "limit" }, { query: "cursor=nope", names: "cursor" }, { query: "range=2y", names: "range" }],
  "GET settings/field-mapping": noInput("the mapping now"),
  "PUT settings/field-mapping": [{ body: { reason: ["a b"] }, names: "reason.0" }, { body: { failure_reason: ["a"] }, names: "failure_reason" }],
  "GET settings/incidents": noInput("the settings now"),
  "PUT settings/incidents": [{ body: { autoResolveAfterHours: 0 }, names: "autoResolveAfterHours" }],
  "GET stats": [{ query: "afterId=abc", names: "afterId" }, { query: "afterId=-3", names: "afterId" }, { query: "q=" + "1".repeat(65), names: "q" }],
  "GET templates/[template]/status-history": [{ params: { template: "x".repeat(513) }, names: "template" }],
  "GET templates/unavailable": noInput("every unavailable template"),
  "GET tokens": noInput("lists every token"),
  "POST tokens": [{ body: { name: " " }, names: "name" }],
  "DELETE tokens/[id]": [badId()],
  "GET users": noInput("lists every user"),
  "POST users": [{ body: { email: "not-an-address", password: "long-enough-password", role: "viewer" }, names: "email" }],
  "PATCH users/[id]": [{ params: { id: "someone" }, body: { role: "boss" }, names: "role" }],
  "GET webhook-secret": noInput("the secret now"),
  "POST webhook-secret": [{ body: { graceHours: 5 }, names: "graceHours" }],
};

type Handler = (request: Request, context: unknown) => Promise<Response>;

async function call(handler: Handler, file: string, method: string, bad: BadRequest, headers: Record<string, string>) {
  const params: Record<string, string> = {};
  const segments = path.dirname(file).split("/").map((segment) => {
    const name = /^\[(\w+)\]$/.exec(segment)?.[1];
    if (!name) return segment;
    params[name] = bad.params?.[name] ?? "999999";
    return encodeURIComponent(params[name]);
  });
  const url = `http://localhost:3000/api/${segments.join("/")}${bad.query ? `?${bad.query}` : ""}`;
  const hasBody = method !== "GET";
  const response = await handler(
    new Request(url, { method, headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...headers }, body: hasBody ? JSON.stringify(bad.body ?? {}) : undefined }),
    { params: Promise.resolve(params) },
  );
  return { status: response.status, headers: response.headers, json: (await response.json()) as unknown };
}

// The public routes answer outside this vocabulary (the webhook speaks to Treble; see access.test.ts).
const files = routeFiles().filter((file) => !PUBLIC_ROUTES[file]);
let admin: TestUser;

beforeAll(async () => {
  admin = await createTestUser("admin");
});

describe("a bad parameter on every /api route", () => {
  it("lists every route method here, and only those", async () => {
    const found: string[] = [];
    for (const file of files) {
      const mod = (await import(/* @vite-ignore */ path.join(API_DIR, file))) as Record<string, unknown>;
      for (const method of HTTP_METHODS) if (typeof mod[method] === "function") found.push(`${method} ${path.dirname(file)}`);
    }
    expect(found.length).toBeGreaterThan(40);
    expect(found.sort()).toEqual(Object.keys(BAD_INPUT).sort());
  });

  for (const [route, cases] of Object.entries(BAD_INPUT)) {
    if (typeof cases === "string") continue;
    const [method, dir] = route.split(" ") as [string, string];
    const file = `${dir}/route.ts`;
    for (const bad of cases) {
      const what = [bad.query && `?${bad.query.slice(0, 40)}`, bad.params && JSON.stringify(bad.params).slice(0, 40), bad.body !== undefined && JSON.stringify(bad.body)].filter(Boolean).join(" ");
      it(`${route} ${what} → 400 invalid_input naming ${bad.names}`, async () => {
        const handler = (await import(/* @vite-ignore */ path.join(API_DIR, file)))[method] as Handler;
        const error = expectError(await call(handler, file, method, bad, admin.headers), 400, "invalid_input");
        expect(error.details?.[0]?.path, error.message).toBe(bad.names);
        expect(error.message.startsWith(bad.names), error.message).toBe(true);
      });
    }
  }
});
