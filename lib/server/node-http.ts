import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidInputError, PayloadTooLargeError } from "@/lib/http/errors";
import type { JsonAnswer } from "@/lib/http/respond";
import { securityHeaders } from "@/lib/http/security-headers";

const SECURITY_HEADERS = securityHeaders();

/** Reads a Node request body, stopping (413) as soon as it passes `limit` bytes. */
export function readNodeBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new PayloadTooLargeError(`Body exceeds ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    // A client that disconnects mid-body is the sender's problem, not a server error.
    const onError = () => {
      cleanup();
      reject(new InvalidInputError("The request body was not received completely.", undefined, "incomplete_body"));
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/**
 * Writes a JSON answer. If the request body was not read to the end (e.g. a 413), the connection
 * is closed afterwards instead of draining what the client is still sending.
 */
export function sendJson(req: IncomingMessage, res: ServerResponse, answer: JsonAnswer): void {
  const body = JSON.stringify(answer.body);
  const headers: Record<string, string | number> = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...SECURITY_HEADERS,
    ...answer.headers,
  };
  if (!req.complete) headers.Connection = "close";
  res.writeHead(answer.status, headers);
  res.end(body);
}
