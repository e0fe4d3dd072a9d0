import http from "node:http";
import type { Settings } from "@/lib/config";
import { CLIENT_IP_HEADER, resolveClientIp } from "@/lib/auth/client-ip";
import { ForbiddenError, PayloadTooLargeError, TooManyRequestsError } from "@/lib/http/errors";
import { errorToAnswer, type ErrorBody, type JsonAnswer } from "@/lib/http/respond";
import { logger, maskPhones, redactUrl } from "@/lib/log";
import { giveRingSlotsBack, sendJson } from "./node-http";
import { RateLimiter } from "./rate-limit";
import { bodyLimitFor, capConnectionsPerAddress, holdBody, HSTS, isSetupWrite, isSignInAttempt, setupWriteAllowed } from "./request-guards";
import { isWebhookRequest, serveWebhook } from "./webhook-listener";

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** How long a client may take; slow or stalled clients must not hold sockets for long. */
export interface ServerTimeouts {
  /** Until the request headers are complete. */
  headersMs: number;
  /** Until the whole request (headers and body) is received. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** How often Node checks the two limits above (its default, 30 s, would double them). */
  checkEveryMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkEveryMs: 1_000 };

/** One JSON line per refused request: never the query's credentials, never a full phone number. */
function logRejected(req: http.IncomingMessage, ip: string | undefined, status: number, error?: ErrorBody["error"]): void {
  logger().warn(
    {
      status,
      code: error?.code,
      reason: error && maskPhones(error.message),
      method: req.method,
      path: redactUrl(req.url ?? "/"),
      ip,
    },
    "request rejected",
  );
}

function errorOf(answer: JsonAnswer): ErrorBody["error"] | undefined {
  return (answer.body as Partial<ErrorBody> | undefined)?.error;
}

/**
 * The production HTTP server: webhooks are answered directly from lib/ (the hot path), every
 * other request goes to `nextHandler`. Client addresses are rate limited per source on the
 * webhook and on sign-in attempts, bodies and connections per address are capped before Next
 * sees anything (request-guards.ts); every refused request is logged.
 */
export function createAppServer(settings: Settings, nextHandler: RequestHandler, timeouts: ServerTimeouts = DEFAULT_TIMEOUTS): http.Server {
  const webhookLimit = new RateLimiter({ perSecond: settings.WEBHOOK_RATE_LIMIT, burst: Math.max(1, settings.WEBHOOK_RATE_BURST) });
  const signInLimit = new RateLimiter({ perSecond: settings.SIGN_IN_RATE_LIMIT / 60, burst: Math.max(1, settings.SIGN_IN_RATE_LIMIT) });

  const refuseTooMany = (req: http.IncomingMessage, res: http.ServerResponse, ip: string | undefined, retryAfter: number) => {
    const answer = errorToAnswer(new TooManyRequestsError(`Too many requests from this address; retry in ${retryAfter} s.`, retryAfter));
    sendJson(req, res, answer);
    logRejected(req, ip, answer.status, errorOf(answer));
  };

  const hsts = settings.PUBLIC_URL?.startsWith("https://") ? HSTS : null;

  const server = http.createServer({ connectionsCheckingInterval: timeouts.checkEveryMs }, (req, res) => {
    if (hsts) res.setHeader("Strict-Transport-Security", hsts);
    const forwardedFor = req.headers["x-forwarded-for"];
    const ip = resolveClientIp(req.socket.remoteAddress, Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor, settings.TRUST_PROXY);

    if (isWebhookRequest(req)) {
      const wait = webhookLimit.take(ip ?? "", Date.now());
      if (wait) return refuseTooMany(req, res, ip, wait);
      serveWebhook(req, res).then(
        (answer) => {
          if (answer.status >= 400) logRejected(req, ip, answer.status, errorOf(answer));
        },
        (err: unknown) => {
          logger().error({ err, path: redactUrl(req.url ?? "/") }, "webhook handler failed");
          if (!res.headersSent) sendJson(req, res, errorToAnswer(err));
          else res.destroy();
        },
      );
      return;
    }

    if (isSignInAttempt(req)) {
      const wait = signInLimit.take(ip ?? "", Date.now());
      if (wait) return refuseTooMany(req, res, ip, wait);
    }
    if (!isSetupWrite(req)) return toNext(req, res, ip);
    // The body waits unread (the stream is paused) while the database is asked.
    setupWriteAllowed(req).then(
      (allowed) => {
        if (allowed) return toNext(req, res, ip);
        const answer = errorToAnswer(new ForbiddenError("Setting up needs the one-time setup URL printed in the server's start log."));
        sendJson(req, res, answer);
        logRejected(req, ip, answer.status, errorOf(answer));
      },
      (err: unknown) => {
        logger().error({ err }, "setup check failed");
        sendJson(req, res, errorToAnswer(err));
      },
    );
  });

  function toNext(req: http.IncomingMessage, res: http.ServerResponse, ip: string | undefined): void {
    // Overwritten on every request, so a client cannot choose the address that lockouts and the
    // audit log see.
    if (ip) req.headers[CLIENT_IP_HEADER] = ip;
    else delete req.headers[CLIENT_IP_HEADER];
    const limit = bodyLimitFor(req.url);
    void holdBody(req, limit).then((held) => {
      if (held.kind === "aborted") return;
      if (held.kind === "too_large") {
        const answer = errorToAnswer(new PayloadTooLargeError(`Body exceeds ${limit} bytes.`));
        sendJson(req, res, answer);
        return logRejected(req, ip, answer.status, errorOf(answer));
      }
      res.once("finish", () => {
        if (res.statusCode >= 400) logRejected(req, ip, res.statusCode);
      });
      giveRingSlotsBack(res);
      void nextHandler(held.request, res);
    });
  }
  capConnectionsPerAddress(server, settings.MAX_CONNECTIONS_PER_IP, (ip) =>
    logger().warn({ ip, max: settings.MAX_CONNECTIONS_PER_IP }, "too many open connections from one address; refusing more"),
  );
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  return server;
}
