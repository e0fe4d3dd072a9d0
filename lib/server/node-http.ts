import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { InvalidInputError, PayloadTooLargeError } from "@/lib/http/errors";
import type { JsonAnswer } from "@/lib/http/respond";
import { securityHeaders } from "@/lib/http/security-headers";
import { ringReturnOf } from "@/lib/read/export-ring";

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

/** How long, and how many more body bytes, a connection answered before its body ended may still send. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 1024 * 1024;

/**
 * "Lingering close" (as Apache and nginx do it) for a connection answered before its request body
 * ended: Node would close the socket right after the answer, and the client's next body bytes would
 * then meet a reset, which may discard the answer before the client has read it (a 413 seen as a
 * connection reset). Instead the answer is followed by our FIN, and what the client still sends is
 * read and dropped until it stops sending, or for LINGER_MS / LINGER_BYTES at most.
 */
function lingerBeforeClosing(socket: Socket): void {
  // Node's HTTP server ends a `Connection: close` exchange with socket.destroySoon().
  socket.destroySoon = () => {
    let dropped = 0;
    const cut = () => socket.destroy();
    const timer = setTimeout(cut, LINGER_MS);
    timer.unref();
    socket.on("data", (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) cut();
    });
    socket.once("end", cut);
    socket.once("close", () => clearTimeout(timer));
    socket.end();
    socket.resume();
  };
}

/**
 * Writes a JSON answer. If the request body was not read to the end (e.g. a 413), the connection
 * is closed afterwards instead of draining what the client is still sending (after a short
 * lingering close, so the client reads the answer).
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
  if (!req.complete) {
    headers.Connection = "close";
    lingerBeforeClosing(req.socket);
  }
  res.writeHead(answer.status, headers);
  res.end(body);
}

type WriteCallback = (err?: Error | null) => void;

/**
 * Gives an export's ring slots back as the socket takes their bytes (lib/read/export-ring.ts):
 * whoever writes a lent chunk to `res` (Next pipes a route's body with `res.write`), its slot
 * returns in that write's callback, when nothing reads it any more. Other writes pass unchanged.
 */
export function giveRingSlotsBack(res: ServerResponse): void {
  const write = res.write as (this: ServerResponse, chunk: unknown, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback) => boolean;
  res.write = function (this: ServerResponse, chunk: unknown, encodingOrCallback?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    const giveBack = ringReturnOf(chunk);
    if (!giveBack) return write.call(this, chunk, encodingOrCallback, callback);
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    return write.call(this, chunk, (err?: Error | null) => {
      giveBack();
      done?.(err);
    });
  } as ServerResponse["write"];
}
