import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Dialect } from "@/db/engine";
import { all, run, runStepsOn, type Steps } from "@/db/steps";
import { appendAudit, type Actor } from "@/lib/auth/audit";
import { parseInput } from "@/lib/validate";
import { readFieldMapping, type FieldMapping } from "./field-mapping";
import { prepareEvent } from "./handle-webhook";
import { decodeDedupeKey } from "./compact-values";
import { decodePayload, type StoredPayload } from "./payload-codec";
import { storedEventType, writeDerivedRows, WriteBatch, type StoredEvent } from "./store";

/** Quarantined events per transaction: each holds the write lock for milliseconds. */
export const REPROCESS_BATCH_EVENTS = 500;

export interface ReprocessResult {
  /** Quarantined events examined. */
  processed: number;
  /** Of those, normalised now: they became failures (template statuses, sessions…) as if just received. */
  accepted: number;
  /** Of those, still not normalisable (their problems are refreshed). */
  stillQuarantined: number;
}

const reprocessSchema = z.object({ scope: z.literal("quarantined", { message: 'must be "quarantined"' }) }).strict();

/**
 * Lets queued webhook commits run between two batches: a turn of the event loop in the server's
 * own process; a pause (`pauseMs`) from another process, whose busy server connection retries the
 * lock only every few milliseconds.
 */
const yieldToIngest = (pauseMs: number) => new Promise<void>((resolve) => (pauseMs > 0 ? setTimeout(resolve, pauseMs) : setImmediate(resolve)));

interface QuarantinedRow {
  id: number;
  dedupe_key: Buffer;
  received_at: number;
  payload: StoredPayload;
  payload_codec: number;
}

const NEXT = `SELECT id, dedupe_key, received_at, payload, payload_codec FROM raw_events WHERE problems IS NOT NULL AND id > ? ORDER BY id LIMIT ?`;
// Each row is re-checked in its transaction: of two runs at once, one releases it.
const RELEASE = `UPDATE raw_events SET event_type = ?, occurred_at = ?, occurred_at_from_receipt = ?, sent_occurred_at = ?, problems = NULL
  WHERE id = ? AND problems IS NOT NULL`;
const REFRESH = `UPDATE raw_events SET problems = ? WHERE id = ? AND problems IS NOT NULL`;

/** One batch's outcome; counted into the run's result only once its transaction committed. */
interface BatchResult extends ReprocessResult {
  lastId: number;
}

/** The quarantined events after `afterId`, up to `limit`, normalised again; null when none is left. */
function* reprocessBatch(dialect: Dialect, afterId: number, limit: number, mapping: FieldMapping): Steps<BatchResult | null> {
  const rows = yield* all<QuarantinedRow>(NEXT, [afterId, limit]);
  if (!rows.length) return null;
  const result: BatchResult = { lastId: rows.at(-1)!.id, processed: rows.length, accepted: 0, stillQuarantined: 0 };
  const released: StoredEvent[] = [];
  for (const row of rows) {
    // The payload is one event's JSON text as received: it parsed once, so it parses again.
    const payload = decodePayload(row.payload, row.payload_codec, decodeDedupeKey(row.dedupe_key));
    const prepared = prepareEvent(JSON.parse(payload), payload, row.received_at, mapping);
    if (prepared.problems) {
      yield* run(REFRESH, [JSON.stringify(prepared.problems), row.id]);
      result.stillQuarantined++;
      continue;
    }
    // The raw row keeps its dedupe key: nothing derived from the event repeats it.
    if ((yield* run(RELEASE, [storedEventType(prepared), prepared.occurredAt, prepared.occurredAtFromReceipt ? 1 : 0, prepared.sentOccurredAt, row.id])) === 0) continue;
    released.push({ rawEventId: row.id, event: prepared });
  }
  const batch = new WriteBatch(dialect);
  yield* writeDerivedRows(batch, released);
  yield* batch.flush();
  result.accepted = released.length;
  return result;
}

/**
 * Normalises every quarantined event again with the current field mapping. One that now passes
 * is un-quarantined and gets its failure (incident, rollups, sketches), template status or closed
 * session exactly as if it had just arrived at its original receipt time, keeping its dedupe key.
 * Runs in short engine transactions of `batchSize` events (ingest's own rules) with a turn of the
 * event loop between them, so webhooks keep being answered during a large backlog. Idempotent: an
 * un-quarantined event is never picked again (each row is re-checked inside its transaction, so
 * concurrent runs do not count one event twice).
 */
export async function reprocessQuarantined(input: unknown, by: { actor: Actor; ip: string | null; batchSize?: number; pauseMs?: number }): Promise<ReprocessResult> {
  parseInput(reprocessSchema, input);
  const engine = getEngine();
  const mapping = await readFieldMapping();
  const limit = by.batchSize ?? REPROCESS_BATCH_EVENTS;
  const result: ReprocessResult = { processed: 0, accepted: 0, stillQuarantined: 0 };
  for (let afterId = 0; ; ) {
    const done = await engine.transaction((tx) => runStepsOn(tx, reprocessBatch(tx.dialect, afterId, limit, mapping)));
    if (!done) break;
    result.processed += done.processed;
    result.accepted += done.accepted;
    result.stillQuarantined += done.stillQuarantined;
    afterId = done.lastId;
    await yieldToIngest(by.pauseMs ?? 0);
  }
  if (result.processed) {
    await engine.transaction((tx) =>
      appendAudit(tx, {
        actor: by.actor,
        action: "events_reprocessed",
        detail: `${result.processed} examined, ${result.accepted} accepted, ${result.stillQuarantined} still quarantined`,
        ip: by.ip,
        at: Date.now(),
      }),
    );
  }
  return result;
}
