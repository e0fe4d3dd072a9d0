import { createHash } from "node:crypto";
import type { DbHandle } from "@/db/client";
import { getSettings } from "@/lib/config";
import {
  InvalidInputError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type ErrorDetail,
} from "@/lib/http/errors";
import { errorToAnswer, type JsonAnswer } from "@/lib/http/respond";
import { commitEvents } from "./group-commit";
import { parseWebhookBody } from "./json-batch";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "./limits";
import { normalizeEvent } from "./normalize";
import { verifySignature } from "./signature";
import type { PreparedEvent } from "./store";
import { isValidWebhookToken } from "./webhook-secret";

/** What the webhook needs from an HTTP request, whichever server received it. */
export interface WebhookRequest {
  method: string;
  /** Query string parameters. */
  query: URLSearchParams;
  /** Header lookup, case-insensitive. */
  header(name: string): string | undefined;
  /** Reads the body; rejects with PayloadTooLargeError past `limit` bytes without reading on. */
  readBody(limit: number): Promise<Uint8Array>;
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The presented shared-secret token, from the query, a Bearer header or X-Webhook-Token. */
function presentedToken(req: WebhookRequest): string | undefined {
  const fromQuery = req.query.get("token");
  if (fromQuery) return fromQuery;
  const auth = req.header("authorization");
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth.trim())?.[1];
  if (bearer) return bearer;
  return req.header("x-webhook-token") || undefined;
}

/**
 * Normalises one event and adds what identifies it (`event_id`, else the SHA-256 of its text).
 * Exported so the demo seeder stores history exactly as the endpoint would. Throws InvalidInputError.
 */
export function prepareEvent(event: unknown, payload: string, receivedAt: number, pathPrefix = ""): PreparedEvent {
  const normalized = normalizeEvent(event, receivedAt, pathPrefix);
  const dedupeKey = normalized.eventId ?? `sha256:${createHash("sha256").update(payload).digest("hex")}`;
  return { ...normalized, dedupeKey, receivedAt, payload };
}

/** Turns a parsed body into rows to store; every invalid event is reported with its index. */
function prepareEvents(events: unknown[], texts: string[], isBatch: boolean, receivedAt: number): PreparedEvent[] {
  const prepared: PreparedEvent[] = [];
  const problems: ErrorDetail[] = [];
  events.forEach((event, index) => {
    try {
      prepared.push(prepareEvent(event, texts[index]!, receivedAt, isBatch ? `[${index}].` : ""));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      problems.push(...(err.details ?? [{ path: isBatch ? `[${index}]` : "", message: err.message }]));
    }
  });
  if (problems.length) {
    const first = problems[0]!;
    const where = isBatch ? ` (batch rejected, nothing stored)` : "";
    throw new InvalidInputError(`${first.path} ${first.message}${where}`.trim(), problems);
  }
  return prepared;
}

/**
 * POST /api/webhooks/treble, independent of the HTTP server: authenticate, check the body,
 * validate every event, and answer 200 only once the rows are committed.
 */
export async function handleWebhook(handle: DbHandle, req: WebhookRequest): Promise<JsonAnswer> {
  try {
    if (req.method !== "POST") throw new MethodNotAllowedError("Use POST to deliver webhook events.");
    const settings = getSettings();
    const token = presentedToken(req);
    const tokenOk = token !== undefined && isValidWebhookToken(handle, token);
    if (token !== undefined && !tokenOk) throw new UnauthorizedError("Invalid webhook token.");
    // Without a signing secret the token is the only credential; with one, a valid signature suffices.
    if (!tokenOk && !settings.WEBHOOK_SIGNING_SECRET) {
      throw new UnauthorizedError("Missing webhook token: use ?token=, Authorization: Bearer or X-Webhook-Token.");
    }

    const contentType = req.header("content-type");
    if (!contentType || !JSON_CONTENT_TYPE.test(contentType)) {
      throw new UnsupportedMediaTypeError("Content-Type must be application/json.");
    }
    const declaredLength = Number(req.header("content-length") ?? "0");
    if (declaredLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(`Body exceeds ${MAX_BODY_BYTES} bytes.`);
    const body = await req.readBody(MAX_BODY_BYTES);
    const receivedAt = Date.now();

    if (settings.WEBHOOK_SIGNING_SECRET) {
      verifySignature(
        settings.WEBHOOK_SIGNING_SECRET,
        { id: req.header("webhook-id"), timestamp: req.header("webhook-timestamp"), signature: req.header("webhook-signature") },
        body,
        receivedAt,
      );
    }

    const parsed = parseWebhookBody(body, MAX_BATCH_EVENTS);
    const events = prepareEvents(parsed.events, parsed.texts, parsed.isBatch, receivedAt);
    const result = await commitEvents(handle, events);
    return { status: 200, body: { ok: true, accepted: result.accepted, duplicates: result.duplicates } };
  } catch (err) {
    return errorToAnswer(err);
  }
}

