import zlib from "node:zlib";
import { PAYLOAD_DICTIONARY_V1 } from "./payload-dictionary";

/**
 * How a raw event's payload is stored (raw_events.payload_codec). The text itself is what Treble
 * sent, byte for byte; only its storage changes.
 * - 0: the UTF-8 text as is (rows written before migration compact_storage, until it converts them).
 * - 1: raw deflate of the UTF-8 bytes with preset dictionary v1 (payload-dictionary.ts).
 * - 2: as 1, of the text with its event id cut out: the id's first occurrence is replaced by one
 *   NUL character (which a JSON text cannot contain raw, so the NUL is always the cut) and put back
 *   from the row's dedupe key when read. An event id is random, so deflate cannot shrink it; the
 *   dedupe key stores it anyway (≈ 25 bytes less per event).
 * A new dictionary gets a new id here; rows keep the id they were written with.
 */
export const PAYLOAD_CODEC_TEXT = 0;
export const PAYLOAD_CODEC_DEFLATE_V1 = 1;
export const PAYLOAD_CODEC_DEFLATE_V1_ID_CUT = 2;

export type StoredPayload = string | Buffer;

const DICTIONARY_V1 = Buffer.from(PAYLOAD_DICTIONARY_V1, "utf8");
// A 16 KiB window holds the 5.6 KB dictionary and any event up to the webhook's field limits; the
// small window and memLevel make each (one-shot) deflate stream cheaper to set up, at no cost in size.
const DEFLATE_V1: zlib.ZlibOptions = { dictionary: DICTIONARY_V1, windowBits: 14, memLevel: 5, level: 6 };
const INFLATE_V1: zlib.ZlibOptions = { dictionary: DICTIONARY_V1, windowBits: 14 };
const CUT = "\0";

/** Deflate with dictionary v1 (codec 1), also used for other Treble-shaped JSON (session keys). */
export function deflateV1(text: string): Buffer {
  return zlib.deflateRawSync(Buffer.from(text, "utf8"), DEFLATE_V1);
}

/**
 * A payload as new rows store it: with its event id cut out when the dedupe key is an event id
 * found in the text (codec 2), else deflated whole (codec 1: content-hash keys, or an id the text
 * spells with escapes).
 */
export function encodePayload(text: string, eventId: string | null): { stored: Buffer; codec: number } {
  const at = eventId ? text.indexOf(eventId) : -1;
  if (eventId && at >= 0 && !text.includes(CUT)) {
    return { stored: deflateV1(text.slice(0, at) + CUT + text.slice(at + eventId.length)), codec: PAYLOAD_CODEC_DEFLATE_V1_ID_CUT };
  }
  return { stored: deflateV1(text), codec: PAYLOAD_CODEC_DEFLATE_V1 };
}

/** The payload's text exactly as received, from its stored form, codec and (codec 2) the row's dedupe key. */
export function decodePayload(stored: StoredPayload, codec: number, dedupeKey?: string): string {
  switch (codec) {
    case PAYLOAD_CODEC_TEXT:
      return typeof stored === "string" ? stored : stored.toString("utf8");
    case PAYLOAD_CODEC_DEFLATE_V1:
      return zlib.inflateRawSync(stored, INFLATE_V1).toString("utf8");
    case PAYLOAD_CODEC_DEFLATE_V1_ID_CUT: {
      if (dedupeKey === undefined) throw new Error("Payload codec 2 needs the row's dedupe key");
      const text = zlib.inflateRawSync(stored, INFLATE_V1).toString("utf8");
      const at = text.indexOf(CUT);
      if (at < 0) throw new Error("Payload codec 2 without its cut");
      return text.slice(0, at) + dedupeKey + text.slice(at + 1);
    }
    default:
      throw new Error(`Unknown payload codec ${codec}`);
  }
}
