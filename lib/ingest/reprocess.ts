import { z } from "zod";
import type { DbHandle } from "@/db/client";
import { sqliteDialect } from "@/db/sqlite/engine";
import { runSteps } from "@/db/steps";
import { recordAudit, type Actor } from "@/lib/auth/audit";
import { parseInput } from "@/lib/validate";
import { readFieldMapping } from "./field-mapping";
import { prepareEvent } from "./handle-webhook";
import { decodeDedupeKey } from "./compact-values";
import { decodePayload, type StoredPayload } from "./payload-codec";
import { storedEventType, writeDerivedRows, WriteBatch } from "./store";

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

/**
 * Normalises every quarantined event again with the current field mapping. One that now passes
 * is un-quarantined and gets its failure (incident, rollups, sketches), template status or closed
 * session exactly as if it had just arrived at its original receipt time, keeping its dedupe key.
 * Runs in short transactions of `batchSize` events with a turn of the event loop between them,
 * so webhooks keep being answered during a large backlog. Idempotent: an un-quarantined event is
 * never picked again (each row is re-checked inside its transaction, so concurrent runs do not
 * count one event twice).
 */
export async function reprocessQuarantined(
  handle: DbHandle,
  input: unknown,
  by: { actor: Actor; ip: string | null; batchSize?: number; pauseMs?: number },
): Promise<ReprocessResult> {
  parseInput(reprocessSchema, input);
  const { sqlite } = handle;
  const mapping = await readFieldMapping();
  const limit = by.batchSize ?? REPROCESS_BATCH_EVENTS;
  const next = sqlite.prepare(
    `SELECT id, dedupe_key, received_at, payload, payload_codec FROM raw_events WHERE problems IS NOT NULL AND id > ? ORDER BY id LIMIT ?`,
  );
  const release = sqlite.prepare(
    `UPDATE raw_events SET event_type = ?, occurred_at = ?, occurred_at_from_receipt = ?, sent_occurred_at = ?, problems = NULL
     WHERE id = ? AND problems IS NOT NULL`,
  );
  const refresh = sqlite.prepare(`UPDATE raw_events SET problems = ? WHERE id = ? AND problems IS NOT NULL`);
  const result: ReprocessResult = { processed: 0, accepted: 0, stillQuarantined: 0 };

  const runBatch = sqlite.transaction((afterId: number): number | null => {
    const rows = next.all(afterId, limit) as QuarantinedRow[];
    if (!rows.length) return null;
    const batch = new WriteBatch(sqliteDialect);
    for (const row of rows) {
      // The payload is one event's JSON text as received: it parsed once, so it parses again.
      const payload = decodePayload(row.payload, row.payload_codec, decodeDedupeKey(row.dedupe_key));
      const prepared = prepareEvent(JSON.parse(payload), payload, row.received_at, mapping);
      result.processed++;
      if (prepared.problems) {
        refresh.run(JSON.stringify(prepared.problems), row.id);
        result.stillQuarantined++;
        continue;
      }
      // The raw row keeps its dedupe key: nothing derived from the event repeats it.
      if (release.run(storedEventType(prepared), prepared.occurredAt, prepared.occurredAtFromReceipt ? 1 : 0, prepared.sentOccurredAt, row.id).changes === 0) continue;
      runSteps(sqlite, writeDerivedRows(batch, row.id, prepared));
      result.accepted++;
    }
    runSteps(sqlite, batch.flush());
    return rows.at(-1)!.id;
  });

  let afterId = 0;
  for (;;) {
    const last = runBatch.immediate(afterId);
    if (last === null) break;
    afterId = last;
    await yieldToIngest(by.pauseMs ?? 0);
  }
  if (result.processed) {
    recordAudit(handle.db, {
      actor: by.actor,
      action: "events_reprocessed",
      detail: `${result.processed} examined, ${result.accepted} accepted, ${result.stillQuarantined} still quarantined`,
      ip: by.ip,
      at: Date.now(),
    });
  }
  return result;
}
