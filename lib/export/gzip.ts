import zlib from "node:zlib";

/** Fast deflate: a CSV still shrinks about 5×, at a fraction of the default level's CPU. */
const LEVEL = zlib.constants.Z_BEST_SPEED;
const HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);

/**
 * One gzip member written chunk by chunk with zlib's synchronous calls, so it runs on the calling
 * thread: an export's read worker, at the read threads' lower priority, rather than libuv's pool
 * at full priority beside the thread that answers webhooks. Each chunk is deflated on its own and
 * ends on a sync flush at a byte boundary, so the pieces concatenate into one deflate stream.
 */
export class ChunkedGzip {
  private crc = 0;
  private size = 0;
  private started = false;

  /** The compressed bytes for `chunk` (the gzip header before the first). */
  push(chunk: Uint8Array): Uint8Array {
    this.crc = zlib.crc32(chunk, this.crc);
    this.size = (this.size + chunk.length) % 2 ** 32;
    const deflated = zlib.deflateRawSync(chunk, { level: LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return this.withHeader(deflated);
  }

  /** The last bytes: a final empty block, then the CRC-32 and length of everything pushed. */
  end(): Uint8Array {
    const last = zlib.deflateRawSync(new Uint8Array(0), { level: LEVEL, finishFlush: zlib.constants.Z_FINISH });
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size, 4);
    return this.withHeader(Buffer.concat([last, trailer]));
  }

  private withHeader(bytes: Uint8Array): Uint8Array {
    if (this.started) return bytes;
    this.started = true;
    return Buffer.concat([HEADER, bytes]);
  }
}
