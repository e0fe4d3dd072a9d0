import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { ChunkedGzip } from "./gzip";

describe("ChunkedGzip", () => {
  it("writes one gzip member that gunzip reads back byte for byte, whatever the chunks", () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `${i},FAILURE_BY_RATE_LIMIT,+5730012${String(i).padStart(5, "0")},ñandú\n`).join("");
    const all = Buffer.from(text);
    for (const size of [1, 7, 4096, 65_536, all.length]) {
      // Byte-sized chunks over a prefix: one deflate call per chunk.
      const bytes = size < 100 ? all.subarray(0, 3000) : all;
      const gzip = new ChunkedGzip();
      const parts: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) parts.push(gzip.push(bytes.subarray(i, i + size)));
      parts.push(gzip.end());
      const out = Buffer.concat(parts);
      expect(zlib.gunzipSync(out).equals(bytes), `chunks of ${size}`).toBe(true);
      if (size >= 4096) expect(out.length).toBeLessThan(bytes.length / 3);
    }
  });

  it("writes a valid member for an empty export", () => {
    const gzip = new ChunkedGzip();
    expect(zlib.gunzipSync(gzip.end()).length).toBe(0);
  });

  it("detects a corrupted member (the trailer's CRC covers every chunk)", () => {
    const gzip = new ChunkedGzip();
    const out = Buffer.concat([gzip.push(Buffer.from("a,b\n1,2\n")), gzip.end()]);
    out.writeUInt32LE((out.readUInt32LE(out.length - 8) ^ 1) >>> 0, out.length - 8);
    expect(() => zlib.gunzipSync(out)).toThrow();
  });
});
