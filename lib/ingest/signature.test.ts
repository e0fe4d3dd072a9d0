import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UnauthorizedError } from "@/lib/http/errors";
import { TEST_SIGNING_SECRET } from "@/lib/testing/temp-db";
import { signPayload, signingKey, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from "./signature";

const NOW_MS = Date.UTC(2026, 10, 25, 14, 2, 0);
const NOW_S = NOW_MS / 1000;
const BODY = Buffer.from('{"event_type":"deployment.failure","failure_reason":"FAILURE"}');
const ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";

function verify(headers: { id?: string; timestamp?: string; signature?: string }, body: Uint8Array = BODY, nowMs = NOW_MS) {
  verifySignature(TEST_SIGNING_SECRET, { id: headers.id, timestamp: headers.timestamp, signature: headers.signature }, body, nowMs);
}

const good = () => ({ id: ID, timestamp: String(NOW_S), signature: signPayload(TEST_SIGNING_SECRET, ID, NOW_S, BODY) });

describe("signingKey / signPayload", () => {
  it("decodes the base64 key after the whsec_ prefix", () => {
    expect(signingKey(TEST_SIGNING_SECRET).toString()).toBe("0123456789abcdef0123456789abcdef");
  });

  it("signs `id.timestamp.body` with HMAC-SHA256 as Standard Webhooks specifies", () => {
    const expected = createHmac("sha256", Buffer.from("0123456789abcdef0123456789abcdef"))
      .update(`${ID}.${NOW_S}.${BODY.toString()}`)
      .digest("base64");
    expect(signPayload(TEST_SIGNING_SECRET, ID, NOW_S, BODY)).toBe(`v1,${expected}`);
    expect(signPayload(TEST_SIGNING_SECRET, ID, NOW_S, BODY.toString())).toBe(`v1,${expected}`);
  });

  it("matches the Standard Webhooks reference vector", () => {
    // From the Standard Webhooks specification's example.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const signature = signPayload(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });
});

describe("verifySignature", () => {
  it("accepts a good signature", () => {
    expect(() => verify(good())).not.toThrow();
  });

  it("accepts a space-separated list where any one v1 signature matches (key rotation)", () => {
    const other = signPayload(`whsec_${Buffer.from("another-key-another-key-another!!").toString("base64")}`, ID, NOW_S, BODY);
    expect(() => verify({ ...good(), signature: `${other} v1,AAAA ${good().signature}` })).not.toThrow();
    expect(() => verify({ ...good(), signature: `v2,${good().signature.slice(3)} ${good().signature}` })).not.toThrow();
  });

  it("rejects a signature over another body, id or timestamp", () => {
    expect(() => verify(good(), Buffer.from(`${BODY.toString()} `))).toThrow(UnauthorizedError);
    expect(() => verify({ ...good(), id: "msg_other" })).toThrow(/does not match/);
    expect(() => verify({ ...good(), timestamp: String(NOW_S + 1) })).toThrow(/does not match/);
  });

  it("rejects signatures that are not v1, malformed or truncated", () => {
    const sig = good().signature;
    for (const signature of [`v2,${sig.slice(3)}`, sig.slice(3), "v1,", "v1,not base64!", sig.slice(0, -4), "v1"]) {
      expect(() => verify({ ...good(), signature }), signature).toThrow(UnauthorizedError);
    }
  });

  it("rejects a stale or future timestamp beyond ±5 minutes, and accepts one just within", () => {
    const signedAt = (seconds: number) => ({
      id: ID,
      timestamp: String(seconds),
      signature: signPayload(TEST_SIGNING_SECRET, ID, seconds, BODY),
    });
    expect(() => verify(signedAt(NOW_S - SIGNATURE_TOLERANCE_SECONDS - 1))).toThrow(/tolerance/);
    expect(() => verify(signedAt(NOW_S + SIGNATURE_TOLERANCE_SECONDS + 1))).toThrow(/tolerance/);
    expect(() => verify(signedAt(NOW_S - SIGNATURE_TOLERANCE_SECONDS + 1))).not.toThrow();
    expect(() => verify(signedAt(NOW_S + SIGNATURE_TOLERANCE_SECONDS - 1))).not.toThrow();
  });

  it("rejects a timestamp that is not unix seconds", () => {
    expect(() => verify({ ...good(), timestamp: "2026-11-25T14:02:00Z" })).toThrow(/unix seconds/);
    expect(() => verify({ ...good(), timestamp: `${NOW_S}.5` })).toThrow(/unix seconds/);
  });

  it("rejects when any of the three headers is missing", () => {
    for (const missing of ["id", "timestamp", "signature"] as const) {
      expect(() => verify({ ...good(), [missing]: undefined }), missing).toThrow(/Missing/);
      expect(() => verify({ ...good(), [missing]: "" }), missing).toThrow(/Missing/);
    }
  });
});
