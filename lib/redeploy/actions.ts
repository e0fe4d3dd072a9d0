import type Database from "better-sqlite3";
import { z } from "zod";
import { getDb } from "@/db/client";
import { recordAudit } from "@/lib/auth/audit";
import { DO_NOT_CONTACT_CONTACTS_SQL } from "@/lib/export/contacts";
import { DO_NOT_CONTACT_REASONS } from "@/lib/reasons";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import type { ActingUser } from "@/lib/incidents/apply";
import { parseInput } from "@/lib/validate";
import { findPlanRow, parsePlanId, toPlanDetail, type PlanDetail, type PlanRow } from "./plans";
import { requireRedeployAvailable } from "./settings";
import { PLAN_TRANSITIONS, type PlanTransition } from "./states";
import { wakeRedeployWorker } from "./wake";

/** Columns each transition sets beside status and updated_at. */
const EXTRA_SET: Partial<Record<PlanTransition, string>> = {
  send: "sent_at = @at, sent_by = @by, error = NULL",
  pause: "error = @error",
  resume: "error = NULL",
  cancel: "finished_at = @at",
  finish: "finished_at = @at",
  fail: "finished_at = @at, error = @error",
};

/** Each transition's one conditional UPDATE, derived from PLAN_TRANSITIONS. */
const transitionSql = (t: PlanTransition) => {
  const { from, to } = PLAN_TRANSITIONS[t];
  const extra = EXTRA_SET[t];
  return `UPDATE redeploy_plans SET status = '${to}', updated_at = @at${extra ? `, ${extra}` : ""}
    WHERE id = @id AND status IN (${from.map((s) => `'${s}'`).join(", ")}) RETURNING *`;
};

/** Applies a transition; undefined when the plan's status does not allow it (nothing written). */
export function transitionPlan(sqlite: Database.Database, t: PlanTransition, id: number, at: number, fields: { by?: string | null; error?: string | null } = {}): PlanRow | undefined {
  return sqlite.prepare(transitionSql(t)).get({ id, at, by: fields.by ?? null, error: fields.error ?? null }) as PlanRow | undefined;
}

/**
 * When a plan ends (cancelled, failed), batches not yet sent never will be, and their contacts'
 * claims are released: they were not re-deployed. Batches sent or of unknown outcome keep theirs.
 */
export function closeUnsentBatches(sqlite: Database.Database, planId: number, at: number, message: string): void {
  sqlite
    .prepare("UPDATE redeploy_batches SET status = 'not_sent', finished_at = @at, message = @message WHERE plan_id = @planId AND status = 'pending'")
    .run({ planId, at, message });
  sqlite
    .prepare(
      `DELETE FROM redeploy_retried WHERE plan_id = @planId AND contact IN (
         SELECT c.contact FROM redeploy_contacts c JOIN redeploy_batches b ON b.plan_id = c.plan_id AND b.seq = c.batch_seq
         WHERE c.plan_id = @planId AND b.status IN ('not_sent', 'failed') AND c.sent_at IS NULL)`,
    )
    .run({ planId });
}

const sendSchema = z.object({ confirm: z.number({ message: "must be the number of contacts, typed to confirm" }).int("must be a whole number") });

function conflict(sqlite: Database.Database, t: PlanTransition, id: number): never {
  const current = findPlanRow(sqlite, id);
  if (!current) throw new NotFoundError(`No re-deployment plan with id ${id}.`);
  const allowed = PLAN_TRANSITIONS[t].from.join(" or ");
  throw new ConflictError(`Plan #${id} is ${current.status}: only ${allowed} plans can be ${t === "send" ? "sent" : `${t}d`}.`, [{ path: "status", message: `is ${current.status}` }], toPlanDetail(sqlite, current));
}

/**
 * Sends a draft plan: `confirm` must equal its number of contacts. In one transaction: the plan
 * goes draft → sending, every contact is checked again against the "do not contact" rule, and its
 * (contact, poll, reason) is claimed — a claim another plan already holds refuses the whole send,
 * so the dry run's count stays exactly who is sent. The worker then sends batch by batch.
 */
export async function sendPlan(id: unknown, body: unknown, by: ActingUser, at = Date.now()): Promise<PlanDetail> {
  const planId = parsePlanId(id);
  const { sqlite, db } = getDb();
  const row = findPlanRow(sqlite, planId);
  if (!row) throw new NotFoundError(`No re-deployment plan with id ${planId}.`);
  await requireRedeployAvailable();
  const { confirm } = parseInput(sendSchema, body);
  if (confirm !== row.contacts) {
    throw new InvalidInputError(`Type the number of contacts (${row.contacts}) to confirm; got ${confirm}.`, [{ path: "confirm", message: `must equal ${row.contacts}` }], "confirmation_mismatch");
  }
  if (row.contacts === 0 && row.status === "draft") throw new ConflictError(`Plan #${planId} has no contact to send.`);
  const sent = sqlite
    .transaction(() => {
      const updated = transitionPlan(sqlite, "send", planId, at, { by: by.actor.email });
      if (!updated) conflict(sqlite, "send", planId);
      const upperId = sqlite.prepare("SELECT coalesce(max(id), 0) FROM failures").pluck().get() as number;
      const suppressed = sqlite
        .prepare(`SELECT count(*) FROM redeploy_contacts WHERE plan_id = ? AND batch_seq IS NOT NULL AND contact IN (${DO_NOT_CONTACT_CONTACTS_SQL})`)
        .pluck()
        .get(planId, ...DO_NOT_CONTACT_REASONS, upperId) as number;
      if (suppressed) {
        throw new ConflictError(`${suppressed} of this plan's contacts got a "do not contact" failure since the dry run; create a new plan.`, undefined, toPlanDetail(sqlite, row));
      }
      const claimed = sqlite
        .prepare(
          `INSERT INTO redeploy_retried (contact, poll_id, reason, plan_id)
           SELECT contact, poll_id, reason, plan_id FROM redeploy_contacts WHERE plan_id = ? AND batch_seq IS NOT NULL ORDER BY contact ON CONFLICT DO NOTHING`,
        )
        .run(planId).changes;
      if (claimed !== row.contacts) {
        throw new ConflictError(`${row.contacts - claimed} of this plan's contacts were re-deployed by another plan since the dry run; create a new plan.`, undefined, toPlanDetail(sqlite, row));
      }
      recordAudit(db, { actor: by.actor, action: "redeploy_plan_sent", target: `plan #${planId}`, detail: `${row.contacts} contacts confirmed`, ip: by.ip, at });
      return toPlanDetail(sqlite, updated);
    })
    .immediate();
  wakeRedeployWorker();
  return sent;
}

/** pause, resume or cancel, by a person (audited). Cancelling lets a call in flight finish. */
export async function changePlan(t: "pause" | "resume" | "cancel", id: unknown, by: ActingUser, at = Date.now()): Promise<PlanDetail> {
  const planId = parsePlanId(id);
  const { sqlite, db } = getDb();
  if (t === "resume") await requireRedeployAvailable();
  const result = sqlite
    .transaction(() => {
      const updated = transitionPlan(sqlite, t, planId, at);
      if (!updated) conflict(sqlite, t, planId);
      if (t === "cancel") closeUnsentBatches(sqlite, planId, at, `Plan cancelled by ${by.actor.email ?? "someone"}.`);
      recordAudit(db, { actor: by.actor, action: PLAN_TRANSITIONS[t].audit, target: `plan #${planId}`, ip: by.ip, at });
      return toPlanDetail(sqlite, updated);
    })
    .immediate();
  if (t === "resume") wakeRedeployWorker();
  return result;
}
