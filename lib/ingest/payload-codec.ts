import zlib from "node:zlib";
import { PAYLOAD_DICTIONARY_V1 } from "./payload-dictionary";

/**
 * How a raw event's payload is stored (raw_events.payload_codec). The text itself is what Treble
 * sent, byte for byte; only its storage changes.
 * - 0: the UTF-8 text as is (rows written before migration compact_storage, until it converts them).
 * - 1: raw deflate of the UTF-8 bytes with preset dictionary v1 (payload-dictionary.ts).
 * A new dictionary gets a new id here; rows keep the id they were written with.
 */
export const PAYLOAD_CODEC_TEXT = 0;
export const PAYLOAD_CODEC_DEFLATE_V1 = 1;
/** What new rows are written with. */
export const CURRENT_PAYLOAD_CODEC = PAYLOAD_CODEC_DEFLATE_V1;

export type StoredPayload = string | Buffer;

const DICTIONARY_V1 = Buffer.from(PAYLOAD_DICTIONARY_V1, "utf8");
// A 16 KiB window holds the 5.6 KB dictionary and any event up to the webhook's field limits; the
// small window and memLevel make each (one-shot) deflate stream cheaper to set up, at no cost in size.
const DEFLATE_V1: zlib.ZlibOptions = { dictionary: DICTIONARY_V1, windowBits: 14, memLevel: 5, level: 6 };
const INFLATE_V1: zlib.ZlibOptions = { dictionary: DICTIONARY_V1, windowBits: 14 };

/** The payload as stored for new rows (with CURRENT_PAYLOAD_CODEC). */
export function encodePayload(text: string): Buffer {
  return zlib.deflateRawSync(Buffer.from(text, "utf8"), DEFLATE_V1);
}

/** The payload's text exactly as received, from its stored form and codec. */
export function decodePayload(stored: StoredPayload, codec: number): string {
  switch (codec) {
    case PAYLOAD_CODEC_TEXT:
      return typeof stored === "string" ? stored : stored.toString("utf8");
    case PAYLOAD_CODEC_DEFLATE_V1:
      return zlib.inflateRawSync(stored, INFLATE_V1).toString("utf8");
    default:
      throw new Error(`Unknown payload codec ${codec}`);
  }
}
