import { get, type Steps } from "@/db/steps";

/** Whether any webhook event was ever received (the overview onboards until one arrives). A read (lib/read/reads.ts). */
export function* hasReceivedEvents(): Steps<boolean> {
  return (yield* get("SELECT 1 AS found FROM raw_events LIMIT 1", [])) !== undefined;
}

/** Highest failure id stored (0 when none): a client remembers it to count what arrives later. */
export function* highestFailureId(): Steps<number> {
  return (yield* get<{ id: number }>("SELECT coalesce(max(id), 0) AS id FROM failures", []))!.id;
}
