import { getDb } from "@/db/client";

/** Whether any webhook event was ever received (the overview onboards until one arrives). */
export function hasReceivedEvents(): boolean {
  return getDb().sqlite.prepare("SELECT 1 FROM raw_events LIMIT 1").get() !== undefined;
}
