import { InvalidInputError } from "@/lib/http/errors";

/** Nesting deeper than this is not a Treble event; refusing it keeps every later walk shallow. */
export const MAX_JSON_DEPTH = 32;

export interface ParsedBody {
  /** Parsed events (one for a single object body). */
  events: unknown[];
  /** Each event's JSON text exactly as received, so it can be stored verbatim. */
  texts: string[];
  isBatch: boolean;
}

/**
 * Walks the JSON text once to check nesting depth and to find where each top-level array element
 * starts and ends. Assumes the text is valid JSON (JSON.parse has accepted it).
 */
function scan(text: string): { maxDepth: number; slices: Array<[number, number]> } {
  let depth = 0;
  let maxDepth = 0;
  let inString = false;
  const slices: Array<[number, number]> = [];
  let elementStart = -1;
  let lastNonSpace = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) {
        inString = false;
        lastNonSpace = i;
      }
      continue;
    }
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    if (depth === 1 && elementStart === -1 && c !== 93 /* ] */ && c !== 44 /* , */) elementStart = i;
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (c === 93 || c === 125 /* } */) {
      if (depth === 1 && elementStart !== -1) {
        slices.push([elementStart, lastNonSpace + 1]);
        elementStart = -1;
      }
      depth--;
    } else if (c === 44 && depth === 1 && elementStart !== -1) {
      slices.push([elementStart, lastNonSpace + 1]);
      elementStart = -1;
    }
    lastNonSpace = i;
  }
  return { maxDepth, slices };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes and parses a webhook body: a single event object, or an array of 1 to `maxBatch` event
 * objects. Invalid UTF-8, malformed JSON, excessive nesting, anything but objects and oversized
 * batches are 400s (the framing); what the objects hold is judged later, event by event.
 */
export function parseWebhookBody(body: Uint8Array, maxBatch: number): ParsedBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new InvalidInputError("Body is not valid UTF-8.", undefined, "invalid_encoding");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`Body is not valid JSON: ${(err as Error).message}`, undefined, "invalid_json");
  }
  const isBatch = Array.isArray(value);
  if (Array.isArray(value) && value.length > maxBatch) {
    throw new InvalidInputError(`A batch holds at most ${maxBatch} events; this one has ${value.length}.`, [
      { path: "", message: `at most ${maxBatch} events` },
    ], "invalid_payload");
  }
  if (Array.isArray(value) && value.length === 0) {
    throw new InvalidInputError("The batch is empty.", [{ path: "", message: "at least 1 event" }], "invalid_payload");
  }
  if (!isBatch && (typeof value !== "object" || value === null)) {
    throw new InvalidInputError("Body must be an event object or an array of event objects.", [
      { path: "", message: "must be an object or an array" },
    ], "invalid_payload");
  }
  const { maxDepth, slices } = scan(text);
  if (maxDepth > MAX_JSON_DEPTH) {
    throw new InvalidInputError(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels.`, undefined, "invalid_json");
  }
  if (Array.isArray(value)) {
    // Framing, not content: an element that is not an object cannot be an event at all.
    const notObjects = value.flatMap((v, i) => (typeof v === "object" && v !== null && !Array.isArray(v) ? [] : [{ path: `[${i}]`, message: "must be an object" }]));
    if (notObjects.length) {
      throw new InvalidInputError(`A batch must hold only event objects; ${notObjects[0]!.path} is not one.`, notObjects, "invalid_payload");
    }
  }
  if (!isBatch) return { events: [value], texts: [text.trim()], isBatch };
  const events = value as unknown[];
  return { events, texts: slices.map(([start, end]) => text.slice(start, end)), isBatch };
}
