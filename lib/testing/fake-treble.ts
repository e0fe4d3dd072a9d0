import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for Treble's documented deployment endpoint,
 * `POST /deployment/api/poll/{poll_id}` with the raw API key as Authorization and
 * `{"users":[{cellphone, country_code, user_session_keys:[{key,value}], deployment_eta?}]}`.
 * It checks all of that, answers like Treble (`{message,id,batch_id,conversations_id}` or
 * `{error,message}` with 400/401), and can be told to throttle (429), fail (5xx) or hang.
 */
export interface ReceivedCall {
  at: number;
  path: string;
  pollId: string;
  authorization: string | undefined;
  users: Array<{ cellphone: string; country_code: string; user_session_keys: Array<{ key: string; value: unknown }>; deployment_eta?: number }>;
  /** What the fake answered (null: it hung, or has not answered yet). */
  status: number | null;
  /** When it answered. */
  answeredAt: number | null;
}

/** What to do with the n-th well-formed call (1-based): answer normally, or something else. */
export type Behaviour = "ok" | "hang" | { okAfterMs: number } | { okWhen: Promise<unknown> } | { status: number; headers?: Record<string, string>; body?: unknown };

export interface FakeTreble {
  url: string;
  apiKey: string;
  calls: ReceivedCall[];
  /** Calls Treble accepted (200). */
  accepted(): ReceivedCall[];
  /** Decides each well-formed call's answer; default: all "ok". */
  behave(decide: (n: number, call: ReceivedCall) => Behaviour): void;
  /** Resolves when `count` calls (any answer) have arrived. */
  waitForCalls(count: number, timeoutMs?: number): Promise<void>;
  /** Forgets the calls so far and answers "ok" again: a test file's next engine starts afresh. */
  reset(): void;
  close(): Promise<void>;
}

const PATH = /^\/deployment\/api\/poll\/([^/?]+)$/;

function shapeProblem(body: unknown): string | null {
  if (!body || typeof body !== "object" || !Array.isArray((body as { users?: unknown }).users)) return "users must be an array";
  const users = (body as { users: unknown[] }).users;
  if (users.length === 0) return "users must not be empty";
  for (const [i, u] of users.entries()) {
    if (!u || typeof u !== "object") return `users[${i}] must be an object`;
    const user = u as Record<string, unknown>;
    const allowed = new Set(["cellphone", "country_code", "user_session_keys", "deployment_eta"]);
    const extra = Object.keys(user).find((k) => !allowed.has(k));
    if (extra) return `users[${i}].${extra} is not a field`;
    if (typeof user.cellphone !== "string" || !/^\d{4,15}$/.test(user.cellphone)) return `users[${i}].cellphone must be digits`;
    if (typeof user.country_code !== "string" || !/^\+\d{1,4}$/.test(user.country_code)) return `users[${i}].country_code must look like +57`;
    if (!Array.isArray(user.user_session_keys)) return `users[${i}].user_session_keys must be an array`;
    for (const k of user.user_session_keys as unknown[]) {
      if (!k || typeof k !== "object" || typeof (k as { key?: unknown }).key !== "string" || !("value" in k)) return `users[${i}].user_session_keys entries must be {key, value}`;
    }
    if (user.deployment_eta !== undefined && (typeof user.deployment_eta !== "number" || !Number.isInteger(user.deployment_eta))) return `users[${i}].deployment_eta must be unix seconds`;
  }
  return null;
}

export async function startFakeTreble(options: { apiKey?: string; port?: number; delayMs?: number } = {}): Promise<FakeTreble> {
  const apiKey = options.apiKey ?? "ak_test_0123456789abcdef";
  const calls: ReceivedCall[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let decide: (n: number, call: ReceivedCall) => Behaviour = () => "ok";
  let wellFormed = 0;
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      // Health probe for the Playwright config, and the calls so far for specs.
      if (req.method === "GET" && req.url === "/") return answer(200, { ok: true });
      if (req.method === "GET" && req.url === "/_calls") return answer(200, calls);
      const match = PATH.exec(req.url ?? "");
      if (req.method !== "POST" || !match) return answer(404, { error: "Not Found", message: `No route ${req.method} ${req.url}` });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = undefined;
      }
      const call: ReceivedCall = {
        at: Date.now(),
        path: req.url!,
        pollId: decodeURIComponent(match[1]!),
        authorization: req.headers.authorization,
        users: ((body as { users?: ReceivedCall["users"] } | undefined)?.users ?? []) as ReceivedCall["users"],
        status: null,
        answeredAt: null,
      };
      calls.push(call);
      for (const w of waiters.filter((w) => calls.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const reply = (status: number, payload: unknown, headers?: Record<string, string>) => {
        call.status = status;
        call.answeredAt = Date.now();
        answer(status, payload, headers);
      };
      if (req.headers.authorization !== apiKey) return reply(401, { error: "Unauthorized", message: "Invalid API key" });
      if (req.headers["content-type"]?.split(";")[0] !== "application/json") return reply(400, { error: "Bad Request", message: "Content-Type must be application/json" });
      const problem = shapeProblem(body);
      if (problem) return reply(400, { error: "Bad Request", message: problem });
      const behaviour = decide(++wellFormed, call);
      if (behaviour === "hang") {
        hanging.add(res);
        return;
      }
      if (behaviour !== "ok" && "status" in behaviour) return reply(behaviour.status, behaviour.body ?? { error: "Error", message: `status ${behaviour.status}` }, behaviour.headers);
      const n = wellFormed;
      const accept = () =>
        reply(200, {
          message: "Deployment created",
          id: `dep_${n}`,
          batch_id: `batch_${n}`,
          conversations_id: call.users.map((_, i) => `conv_${n}_${i}`),
        });
      if (behaviour !== "ok" && "okWhen" in behaviour) void behaviour.okWhen.then(accept);
      else setTimeout(accept, behaviour === "ok" ? (options.delayMs ?? 0) : behaviour.okAfterMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    calls,
    accepted: () => calls.filter((c) => c.status === 200),
    behave(d) {
      decide = d;
    },
    waitForCalls(count, timeoutMs = 20_000) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} calls to the fake Treble, got ${calls.length}`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    reset() {
      calls.length = 0;
      wellFormed = 0;
      decide = () => "ok";
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
