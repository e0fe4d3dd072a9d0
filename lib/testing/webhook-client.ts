import { expect } from "vitest";

/** How a test presents the webhook token. */
export type TokenVia = "query" | "bearer" | "header" | "none";

export interface WebhookCall {
  /** The body: a string or bytes are sent as they are, anything else as JSON. */
  body: unknown;
  token?: string;
  via?: TokenVia;
  /** Content-Type to send; null sends none. Defaults to application/json. */
  contentType?: string | null;
  headers?: Record<string, string>;
}

export interface WebhookAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

/** Path, query and headers of a webhook delivery, whichever transport sends it. */
export function describeCall(
  call: WebhookCall,
  defaultToken: string,
): { query: string; headers: Record<string, string>; body: string | Uint8Array<ArrayBuffer> } {
  const token = call.token ?? defaultToken;
  const via = call.via ?? "query";
  const headers: Record<string, string> = {};
  if (call.contentType !== null) headers["content-type"] = call.contentType ?? "application/json";
  if (via === "bearer") headers.authorization = `Bearer ${token}`;
  if (via === "header") headers["x-webhook-token"] = token;
  Object.assign(headers, call.headers);
  const query = via === "query" ? `?token=${encodeURIComponent(token)}` : "";
  const body =
    typeof call.body === "string"
      ? call.body
      : call.body instanceof Uint8Array
        ? new Uint8Array(call.body)
        : JSON.stringify(call.body);
  return { query, headers, body };
}

/** Asserts the success body `{"ok":true,"accepted":A,"duplicates":D,"quarantined":Q}`. */
export function expectAccepted(answer: WebhookAnswer, accepted: number, duplicates = 0, quarantined = 0): void {
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  expect(answer.json).toEqual({ ok: true, accepted, duplicates, quarantined });
}

/** Asserts a 200 whose events were all (or `quarantined` of them) quarantined. */
export function expectQuarantined(answer: WebhookAnswer, quarantined: number, accepted = 0, duplicates = 0): void {
  expectAccepted(answer, accepted, duplicates, quarantined);
}

export interface ErrorJson {
  error: { code: string; message: string; details?: Array<{ path?: string; message: string }> };
}

/** Asserts an error answer of the documented shape `{"error":{"code","message","details"?}}`. */
export function expectError(answer: WebhookAnswer, status: number, code?: string): ErrorJson["error"] {
  expect(answer.status, JSON.stringify(answer.json)).toBe(status);
  const json = answer.json as ErrorJson;
  expect(Object.keys(json)).toEqual(["error"]);
  expect(typeof json.error.code).toBe("string");
  expect(typeof json.error.message).toBe("string");
  expect(json.error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(json.error)) expect(["code", "message", "details"]).toContain(key);
  if (json.error.details !== undefined) expect(Array.isArray(json.error.details)).toBe(true);
  if (code) expect(json.error.code).toBe(code);
  return json.error;
}
