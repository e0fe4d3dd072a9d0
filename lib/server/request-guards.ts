import http, { IncomingMessage } from "node:http";
import type net from "node:net";
import { setupRequestAllowed } from "@/lib/auth/setup-code";

/**
 * Limits the custom server applies before a request reaches Next (lib/server/app-server.ts): body
 * sizes, connections per client address, which POSTs count as sign-in attempts, and HSTS.
 */

/** Bodies sent before anyone is authenticated: the sign-in and setup forms and better-auth's endpoints. */
export const AUTH_BODY_LIMIT = 64 * 1024;
/** Every other body Next receives (API writes, server actions). The webhook has its own limit. */
export const OTHER_BODY_LIMIT = 1024 * 1024;

export const HSTS = "max-age=31536000";

const pathOf = (url: string | undefined) => (url ?? "/").split("?", 1)[0]!;

export function bodyLimitFor(url: string | undefined): number {
  const path = pathOf(url);
  return path.startsWith("/api/auth/") || path === "/login" || path === "/setup" ? AUTH_BODY_LIMIT : OTHER_BODY_LIMIT;
}

/**
 * POSTs that may try a password and are rate limited per address: better-auth's sign-in endpoint,
 * and every POST to a page. Next routes a server action by its `Next-Action` header (or, for a
 * form posted without JavaScript, by fields in the body), not by the path, so the sign-in and
 * setup actions can be posted to any page; a page answers no other POST.
 */
export function isSignInAttempt(req: http.IncomingMessage): boolean {
  if (req.method !== "POST") return false;
  const path = pathOf(req.url);
  return path === "/api/auth/sign-in/email" || !path.startsWith("/api/") || req.headers["next-action"] !== undefined;
}

/**
 * A POST (or any write) to /setup: refused (403) by the server before the form's action runs
 * unless setupWriteAllowed. (The page answers a GET without the code with 403 itself.)
 */
export function isSetupWrite(req: http.IncomingMessage): boolean {
  return req.method !== "GET" && req.method !== "HEAD" && pathOf(req.url) === "/setup";
}

/** Whether a write to /setup may reach the form: with the setup code, or once an account exists. */
export function setupWriteAllowed(req: http.IncomingMessage): Promise<boolean> {
  return setupRequestAllowed((req.url ?? "").split("?")[1] ?? "");
}

export type HeldBody =
  | { kind: "within_limit"; request: http.IncomingMessage }
  | { kind: "too_large" }
  | { kind: "aborted" };

/**
 * Receives the whole body of `req` before anyone else reads it, giving up as soon as it passes
 * `limit` bytes (the declared Content-Length is checked first). Within the limit, the request is
 * handed on as a copy that carries the received body (a stream that was read from counts as
 * used, and the Web Request built from it would refuse it). Nothing is handed on until the body is
 * known to fit.
 */
export function holdBody(req: http.IncomingMessage, limit: number): Promise<HeldBody> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve({ kind: "too_large" });
  // No body at all: nothing to hold.
  if (req.headers["transfer-encoding"] === undefined && (declared === undefined || Number(declared) === 0)) {
    return Promise.resolve({ kind: "within_limit", request: req });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: HeldBody) => {
      req.off("readable", onReadable);
      req.off("error", onGone);
      req.off("close", onGone);
      resolve(result);
    };
    const onReadable = () => {
      for (let chunk: Buffer | null; (chunk = req.read() as Buffer | null) !== null; ) {
        size += chunk.length;
        if (size > limit) return done({ kind: "too_large" });
        chunks.push(chunk);
      }
      if (req.complete) done({ kind: "within_limit", request: withBody(req, Buffer.concat(chunks, size)) });
    };
    const onGone = () => done({ kind: "aborted" });
    req.on("readable", onReadable);
    req.on("error", onGone);
    req.on("close", onGone);
  });
}

/** A copy of the (fully received) request `req` whose body is `body`, unread. */
function withBody(req: http.IncomingMessage, body: Buffer): http.IncomingMessage {
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = req.headers;
  copy.rawHeaders = req.rawHeaders;
  copy.httpVersion = req.httpVersion;
  copy.httpVersionMajor = req.httpVersionMajor;
  copy.httpVersionMinor = req.httpVersionMinor;
  copy.complete = true;
  // Everything is pushed below: nothing is to be read from the socket for it.
  copy._read = () => {};
  if (body.length) copy.push(body);
  copy.push(null);
  return copy;
}

/** What a connection over the per-address limit is told before it is closed. */
const TOO_MANY_CONNECTIONS = (() => {
  const body = JSON.stringify({ error: { code: "rate_limited", message: "Too many open connections from this address." } });
  return `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`;
})();

/**
 * Caps the connections one client address (the socket's, since the request is not read yet) may
 * hold open at once: one more is sent a 429 (best effort: a small write on a fresh socket goes
 * out at once) and closed at once, before any of it is parsed. `onRefused`
 * runs once each time an address reaches the cap (not for every refused connection of a flood).
 */
export function capConnectionsPerAddress(server: http.Server, max: number, onRefused: (ip: string) => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  const refusing = new Set<string>();
  // Before http's own listener, so a refused socket is never parsed.
  server.prependListener("connection", (socket: net.Socket) => {
    const ip = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const count = open.get(ip) ?? 0;
    if (count >= max) {
      if (!refusing.has(ip)) {
        refusing.add(ip);
        onRefused(ip);
      }
      socket.on("error", () => {});
      socket.write(TOO_MANY_CONNECTIONS);
      socket.destroy();
      return;
    }
    open.set(ip, count + 1);
    socket.once("close", () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left > 0) open.set(ip, left);
      else open.delete(ip);
      refusing.delete(ip);
    });
  });
}
