import { logger } from "@/lib/log";
import { runAsLeader, type Leadership } from "@/lib/ops/leader";
import { pruneAudit } from "./audit";
import { pruneSignInThrottle } from "./lockout";

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 60 * 60_000;

/** Deletes audit entries older than `auditDays` days and sign-in throttle records that have run out. */
export async function pruneAuthRecords(now: number, auditDays: number): Promise<{ auditEntries: number; throttleRecords: number }> {
  return { auditEntries: await pruneAudit(now - auditDays * DAY_MS), throttleRecords: await pruneSignInThrottle(now) };
}

/**
 * Prunes now and every hour after while `leader` leads, until the returned function is called, so
 * neither table grows without bound (a spray of failed sign-ins from many addresses leaves one
 * record per address).
 */
export function scheduleAuthPruning(leader: Leadership, auditDays: number, everyMs = PRUNE_EVERY_MS): () => void {
  return runAsLeader(leader, "pruning audit entries", everyMs, async () => {
    const pruned = await pruneAuthRecords(Date.now(), auditDays);
    if (pruned.auditEntries || pruned.throttleRecords) logger().info(pruned, "pruned old audit entries and sign-in throttle records");
  });
}
