import { createHash } from "node:crypto";
import { getEngine } from "@/db/client";
import { getSettings } from "@/lib/config";
import { MethodNotAllowedError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from "@/lib/http/errors";
import { errorToAnswer, type JsonAnswer } from "@/lib/http/respond";
import { commitEventsTo } from "./group-commit";
import { parseWebhookBody } from "./json-batch";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "./limits";
import { EMPTY_FIELD_MAPPING, fieldMapping, type FieldMapping } from "./field-mapping";
import { inspectEvent } from "./normalize";
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
 * Normalises one event with the field mapping and adds what identifies it (`event_id`, else the
 * SHA-256 of its text). An event that cannot be normalised is returned with its `problems`, to be
 * quarantined: stored verbatim, deduplicated the same way, not counted. Exported so the demo
 * seeder and re-processing treat events exactly as the endpoint does.
 */
export function prepareEvent(event: unknown, payload: string, receivedAt: number, mapping: FieldMapping = EMPTY_FIELD_MAPPING): PreparedEvent {
  const { normalized, problems } = inspectEvent(event, receivedAt, mapping);
  const dedupeKey = normalized.eventId ?? `sha256:${createHash("sha256").update(payload).digest("hex")}`;
  if (!problems.length) return { ...normalized, dedupeKey, receivedAt, payload, problems: null };
  // Only the envelope is kept for a quarantined event; nothing is derived from it.
  const { eventId, eventType, occurredAt, occurredAtFromReceipt, sentOccurredAt } = normalized;
  return { eventId, eventType, occurredAt, occurredAtFromReceipt, sentOccurredAt, dedupeKey, receivedAt, payload, problems };
}

/**
 * POST /api/webhooks/treble, independent of the HTTP server: authenticate, check the body's
 * framing, normalise or quarantine every event, and answer 200 only once the rows are committed
 * (group commit on the process's engine: SQLite's synchronous committer, or PostgreSQL's).
 */
export async function handleWebhook(req: WebhookRequest): Promise<JsonAnswer> {
  try {
    if (req.method !== "POST") throw new MethodNotAllowedError("Use POST to deliver webhook events.");
    const settings = getSettings();
    const token = presentedToken(req);
    const tokenOk = token !== undefined && isValidWebhookToken(token);
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

    // From here on, only the framing can be refused: an authenticated event is always kept.
    const parsed = parseWebhookBody(body, MAX_BATCH_EVENTS);
    const mapping = fieldMapping();
    const events = parsed.events.map((event, i) => prepareEvent(event, parsed.texts[i]!, receivedAt, mapping));
    const result = await commitEventsTo(getEngine(), events);
    return { status: 200, body: { ok: true, accepted: result.accepted, duplicates: result.duplicates, quarantined: result.quarantined } };
  } catch (err) {
    return errorToAnswer(err);
  }
}

