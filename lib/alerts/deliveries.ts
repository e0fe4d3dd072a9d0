import { z } from "zod";
import { getEngine } from "@/db/client";
import { ConflictError, NotFoundError } from "@/lib/http/errors";
import { decodeCursor, encodeCursor } from "@/lib/queries/cursor";
import { parseInput } from "@/lib/validate";

export const DELIVERY_STATUSES = ["pending", "delivered", "failed", "held"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryItem {
  id: string;
  ruleId: number | null;
  channelId: number;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /** When the next attempt is due (pending) or the quiet hours end (held); null otherwise. */
  nextAttemptAt: string | null;
  /** The grouped message it went out in, if any. */
  groupId: string | null;
}

interface DeliveryRow {
  id: string;
  rule_id: number | null;
  channel_id: number;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  next_attempt_at: number;
  group_id: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const toItem = (r: DeliveryRow): DeliveryItem => ({
  id: r.id,
  ruleId: r.rule_id,
  channelId: r.channel_id,
  type: r.type,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: iso(r.created_at)!,
  deliveredAt: iso(r.delivered_at),
  nextAttemptAt: r.status === "pending" || r.status === "held" ? iso(r.next_attempt_at) : null,
  groupId: r.group_id,
});

const pageSchema = z.object({
  limit: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be 1–500").max(500, "must be 1–500").default(50),
  cursor: z.string().max(200).optional(),
});

const COLUMNS = "id, rule_id, channel_id, type, status, attempts, last_error, created_at, delivered_at, next_attempt_at, group_id";

/** Newest first, keyset-paginated by (created_at, id). */
export async function listDeliveries(params: URLSearchParams): Promise<{ items: DeliveryItem[]; nextCursor: string | null }> {
  const { limit, cursor } = parseInput(pageSchema, { limit: params.get("limit") ?? undefined, cursor: params.get("cursor") ?? undefined });
  const after = cursor ? decodeCursor<[number, string]>(cursor, (k) => k.length === 2 && typeof k[0] === "number" && typeof k[1] === "string") : null;
  const rows = after
    ? await getEngine().query<DeliveryRow>(`SELECT ${COLUMNS} FROM alert_deliveries WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`, [after[0], after[1], limit + 1])
    : await getEngine().query<DeliveryRow>(`SELECT ${COLUMNS} FROM alert_deliveries ORDER BY created_at DESC, id DESC LIMIT ?`, [limit + 1]);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(toItem), nextCursor: more && last ? encodeCursor([last.created_at, last.id]) : null };
}

/**
 * "Retry now": a failed, pending or held delivery is due at once, with a fresh 24 h of retries
 * (and sent on its own, outside any earlier group). A delivered one answers 409.
 */
export async function retryDelivery(id: string, now = Date.now()): Promise<DeliveryItem> {
  const engine = getEngine();
  const row = await engine.one<DeliveryRow>(
    `UPDATE alert_deliveries SET status = 'pending', next_attempt_at = ?, first_attempt_at = NULL, group_id = NULL
     WHERE id = ? AND status IN ('failed', 'pending', 'held') RETURNING ${COLUMNS}`,
    [now, id],
  );
  if (row) return toItem(row);
  const current = await engine.one<DeliveryRow>(`SELECT ${COLUMNS} FROM alert_deliveries WHERE id = ?`, [id]);
  if (!current) throw new NotFoundError(`No delivery with id ${id}.`);
  throw new ConflictError("This delivery was already delivered.", undefined, toItem(current));
}
