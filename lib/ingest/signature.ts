import { createHmac, timingSafeEqual } from "node:crypto";
import { UnauthorizedError } from "@/lib/http/errors";

/** Standard Webhooks allows ±5 minutes between the sender's clock and ours. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export interface SignatureHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

/** The HMAC key inside a `whsec_<base64>` secret. */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ""), "base64");
}

/** `v1,<base64>` signature of `id.timestamp.body`, as a Standard Webhooks sender computes it. */
export function signPayload(secret: string, id: string, timestampSeconds: number, body: Uint8Array | string): string {
  const mac = createHmac("sha256", signingKey(secret));
  mac.update(`${id}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest("base64")}`;
}

/**
 * Verifies a Standard Webhooks signature over the raw body bytes. `webhook-signature` may list
 * several space-separated signatures (key rotation); one valid `v1` entry is enough.
 */
export function verifySignature(secret: string, headers: SignatureHeaders, body: Uint8Array, nowMs = Date.now()): void {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    throw new UnauthorizedError("Missing webhook-id, webhook-timestamp or webhook-signature header.");
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new UnauthorizedError("webhook-timestamp must be unix seconds.");
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > SIGNATURE_TOLERANCE_SECONDS) {
    throw new UnauthorizedError("webhook-timestamp is outside the ±5 minute tolerance (stale or replayed).");
  }
  const expected = Buffer.from(signPayload(secret, id, Number(timestamp), body).slice(3), "base64");
  const matches = signature.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new UnauthorizedError("webhook-signature does not match the body.");
}
