import { z } from "zod";
import { getEngine } from "@/db/client";
import { parseFilters } from "@/lib/filters";
import { InvalidInputError } from "@/lib/http/errors";
import { runRead } from "@/lib/read/pool";
import { parseInput } from "@/lib/validate";
import { applyAction, noteSchema, readIncidentRow, type ActingUser, type ActionParams } from "./apply";
import { applyAssign, assigneeSchema, findAssignee, type Assignee } from "./assign";
import { snoozeCondition, snoozeConditionSchema } from "./snooze";
import { BULK_ACTIONS } from "./bulk-actions";
import { canTake } from "./transitions";

/** An explicit id list is bounded (it travels in one request); a filter selects without limit. */
export const MAX_BULK_IDS = 10_000;

const bulkSchema = z
  .object({
    action: z.enum(BULK_ACTIONS, { message: `must be one of ${BULK_ACTIONS.join(", ")}` }),
    ids: z
      .array(z.number({ message: "must be incident ids" }).int().positive(), { message: "must be an array of incident ids" })
      .min(1, "must not be empty")
      .max(MAX_BULK_IDS, `at most ${MAX_BULK_IDS} ids; use a filter for more`)
      .optional(),
    filter: z.record(z.string(), z.union([z.string(), z.array(z.string())]), { message: "must be an object of filter parameters" }).optional(),
    note: noteSchema,
    /** With action "snooze": what wakes them, as in POST /api/incidents/{id}/snooze. */
    snooze: snoozeConditionSchema.optional(),
    /** With action "assign": a user id, or null to unassign. */
    userId: assigneeSchema.optional(),
    /** Count what would change without changing it (the UI's confirmation). */
    dryRun: z.boolean({ message: "must be true or false" }).default(false),
  })
  .refine((b) => (b.ids === undefined) !== (b.filter === undefined), { message: "give either ids or filter", path: ["ids"] })
  .refine((b) => (b.action === "snooze") === (b.snooze !== undefined), { message: "give a snooze object with action snooze, and only then", path: ["snooze"] })
  .refine((b) => (b.action === "assign") === (b.userId !== undefined), { message: "give userId (a user id or null) with action assign, and only then", path: ["userId"] });

export interface BulkResult {
  /** Incidents the action changed (or would change, in a dry run). */
  updated: number;
  /** Selected incidents left alone: their status does not allow the action, they are already so assigned, or the id is unknown. */
  skipped: number;
}

/**
 * One action on many incidents, with one note for all, in one engine transaction: each
 * selected incident gets the same conditional UPDATE (plus activity and audit rows) as a single
 * action. Selection is either `ids`, or `filter` — the dashboard's URL parameters, matched as in
 * lib/queries/incident-filter.ts (status defaults to open, as on /incidents; `assignee=me` is the
 * caller). A filter may look through the window's failures, so it is evaluated by a read worker
 * (deadline and per-user cap included), never on the thread that answers webhooks; the counts
 * stay exact, as each UPDATE is conditional on the incident's status at that moment.
 */
export async function bulkAction(body: unknown, by: ActingUser, now = Date.now()): Promise<BulkResult> {
  const input = parseInput(bulkSchema, body);
  const filters = input.filter && parseBulkFilter(input.filter);
  const selected = filters ? await runRead("matchingIncidentIds", { filters, now, viewerId: by.actor.id }, { user: by.actor.id ?? undefined }) : [...new Set(input.ids)];
  // In id order, so two bulk actions on PostgreSQL lock their common incidents in the same order.
  const ids = selected.toSorted((a, b) => a - b);
  const params: ActionParams = { note: input.note, snooze: input.snooze && snoozeCondition(input.snooze, now, "snooze.until") };
  // A dry run counts from one snapshot on PostgreSQL too (a SQLite transaction always is one).
  const options = input.dryRun ? ({ isolation: "repeatable read" } as const) : undefined;
  return getEngine().transaction(async (tx) => {
    // Inside the transaction: a user disabled meanwhile is refused, not assigned.
    const assignee: Assignee | null | undefined = input.userId === undefined ? undefined : input.userId === null ? null : await findAssignee(tx, input.userId);
    let updated = 0;
    for (const id of ids) {
      if (input.dryRun) {
        const row = await readIncidentRow(tx, id);
        if (!row) continue;
        if (input.action === "assign" ? row.assignee_id !== (assignee?.id ?? null) : canTake(input.action, row.status)) updated++;
      } else if (input.action === "assign" ? await applyAssign(tx, id, assignee ?? null, by, now) : await applyAction(tx, input.action, id, params, by, now)) updated++;
    }
    return { updated, skipped: ids.length - updated };
  }, options);
}

/** The filter object's parameters, named as `filter.<parameter>` when invalid. */
function parseBulkFilter(filter: Record<string, string | string[]>) {
  try {
    return parseFilters(filter);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    const details = (err.details ?? []).map((d) => ({ ...d, path: `filter.${d.path ?? ""}` }));
    throw new InvalidInputError(`filter.${err.message}`, details, err.code);
  }
}
