import { all, get, type Steps } from "@/db/steps";
import type { ErrorDetail } from "@/lib/http/errors";
import { decodeDedupeKey } from "@/lib/ingest/compact-values";
import { decodePayload, type StoredPayload } from "@/lib/ingest/payload-codec";
import { decodeCursor, keysetPage } from "./cursor";
import type { KeysetPage } from "./page";

export interface QuarantinedEvent {
  id: number;
  receivedAt: string;
  /** `event_type` as sent, when it was readable; null otherwise. */
  eventType: string | null;
  problems: ErrorDetail[];
  /** The event's JSON text exactly as received. */
  payload: string;
}

export interface QuarantinePage {
  items: QuarantinedEvent[];
  nextCursor: string | null;
  total: number;
}

/** How many events are quarantined now (the overview's banner). A read (lib/read/reads.ts). */
export function* quarantineCount(): Steps<number> {
  return (yield* get<{ n: number }>("SELECT count(*) AS n FROM raw_events WHERE problems IS NOT NULL", []))!.n;
}

/** Quarantined events, newest first, keyset-paginated by id. A read (lib/read/reads.ts). */
export function* quarantined(page: KeysetPage): Steps<QuarantinePage> {
  const { limit, cursor } = page;
  const before = cursor ? decodeCursor<[number]>(cursor, (key) => key.length === 1 && Number.isSafeInteger(key[0]))[0] : Number.MAX_SAFE_INTEGER;
  const rows = yield* all<{ id: number; dedupe_key: Buffer; received_at: number; event_type: string; problems: string; payload: StoredPayload; payload_codec: number }>(
    `SELECT id, dedupe_key, received_at, event_type, problems, payload, payload_codec FROM raw_events
     WHERE problems IS NOT NULL AND id < ? ORDER BY id DESC LIMIT ?`,
    [before, limit + 1],
  );
  const { rows: pageRows, nextCursor } = keysetPage(rows, limit, (last) => [last.id]);
  const items = pageRows.map((r) => ({
    id: r.id,
    receivedAt: new Date(r.received_at).toISOString(),
    eventType: r.event_type || null,
    problems: JSON.parse(r.problems) as ErrorDetail[],
    payload: decodePayload(r.payload, r.payload_codec, decodeDedupeKey(r.dedupe_key)),
  }));
  return { items, nextCursor, total: yield* quarantineCount() };
}
