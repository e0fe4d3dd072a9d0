import { PayloadTooLargeError } from "./errors";

/** Reads a Web request body, giving up (413) as soon as it passes `limit` bytes. */
export async function readWebBody(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PayloadTooLargeError(`Body exceeds ${limit} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
