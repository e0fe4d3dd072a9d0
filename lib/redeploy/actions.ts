import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Param, Queryable } from "@/db/engine";
import { appendAudit } from "@/lib/auth/audit";
import { DO_NOT_CONTACT_CONTACTS_SQL } from "@/lib/export/contacts";
import { DO_NOT_CONTACT_REASONS } from "@/lib/reasons";
import { ConflictError, InvalidInputError, NotFoundError } from "@/lib/http/errors";
import type { ActingUser } from "@/lib/incidents/apply";
import { parseInput } from "@/lib/validate";
import { findPlanRow, parsePlanId, toPlanDetail, type PlanDetail, type PlanRow } from "./plans";
import { requireRedeployAvailable } from "./settings";
import { PLAN_TRANSITIONS, type PlanTransition } from "./states";
import { wakeRedeployWorker } from "./wake";

export interface TransitionFields {
  by?: string | null;
  error?: string | null;
}

/** Columns each transition sets beside status and updated_at. */
const EXTRA_SET: Partial<Record<PlanTransition, (at: number, fields: TransitionFields) => [sql: string, params: Param[]]>> = {
  send: (at, f) => ["sent_at = ?, sent_by = ?, error = NULL", [at, f.by ?? null]],
  pause: (_at, f) => ["error = ?", [f.error ?? null]],
  resume: () => ["error = NULL", []],
  cancel: (at) => ["finished_at = ?", [at]],
  finish: (at) => ["finished_at = ?", [at]],
  fail: (at, f) => ["finished_at = ?, error = ?", [at, f.error ?? null]],
};

/**
 * Applies a transition in the caller's transaction (the verbs below and the worker,
 * lib/redeploy/worker.ts): one conditional UPDATE derived from PLAN_TRANSITIONS, returning the
 * plan as changed, or undefined when the plan's status does not allow it (nothing written). Of two
 * changes at once, the second finds the status already moved (on PostgreSQL it waits for the
 * first's row lock, then re-checks the condition against the committed row).
 */
export function transitionPlan(tx: Queryable, t: PlanTransition, id: number, at: number, fields: TransitionFields = {}): Promise<PlanRow | undefined> {
  const { from, to } = PLAN_TRANSITIONS[t];
  const [extraSql, extraParams] = EXTRA_SET[t]?.(at, fields) ?? ["", []];
  return tx.one<PlanRow>(
    `UPDATE redeploy_plans SET status = '${to}', updated_at = ?${extraSql ? `, ${extraSql}` : ""}
      WHERE id = ? AND status IN (${from.map((s) => `'${s}'`).join(", ")}) RETURNING *`,
    [at, ...extraParams, id],
  );
}

/**
 * When a plan ends (cancelled, failed), batches not yet sent never will be, and their contacts'
 * claims are released: they were not re-deployed. Batches sent or of unknown outcome keep theirs.
 */
export async function closeUnsentBatches(tx: Queryable, planId: number, at: number, message: string): Promise<void> {
  await tx.exec("UPDATE redeploy_batches SET status = 'not_sent', finished_at = ?, message = ? WHERE plan_id = ? AND status = 'pending'", [at, message, planId]);
  await tx.exec(
    `DELETE FROM redeploy_retried WHERE plan_id = ? AND contact IN (
       SELECT c.contact FROM redeploy_contacts c JOIN redeploy_batches b ON b.plan_id = c.plan_id AND b.seq = c.batch_seq
       WHERE c.plan_id = ? AND b.status IN ('not_sent', 'failed') AND c.sent_at IS NULL)`,
    [planId, planId],
  );
}

const sendSchema = z.object({ confirm: z.number({ message: "must be the number of contacts, typed to confirm" }).int("must be a whole number") });

/** The 409 of a transition the plan's status does not allow, carrying the plan as it is now (404 when gone). */
async function conflict(tx: Queryable, t: PlanTransition, id: number): Promise<never> {
  const current = await findPlanRow(tx, id);
  if (!current) throw new NotFoundError(`No re-deployment plan with id ${id}.`);
  const allowed = PLAN_TRANSITIONS[t].from.join(" or ");
  throw new ConflictError(
    `Plan #${id} is ${current.status}: only ${allowed} plans can be ${t === "send" ? "sent" : `${t}d`}.`,
    [{ path: "status", message: `is ${current.status}` }],
    await toPlanDetail(tx, current),
  );
}

/**
 * Sends a draft plan: `confirm` must equal its number of contacts. In one engine transaction: the
 * plan goes draft → sending, every contact is checked again against the "do not contact" rule,
 * its (contact, poll, reason) is claimed — a claim another plan already holds refuses the whole
 * send, so the dry run's count stays exactly who is sent (the claims' primary key decides between
 * two sends at once: the second waits for the first and finds the contacts taken) — and the send
 * is audited. The worker then sends batch by batch.
 */
export async function sendPlan(id: unknown, body: unknown, by: ActingUser, at = Date.now()): Promise<PlanDetail> {
  const planId = parsePlanId(id);
  const row = await findPlanRow(getEngine(), planId);
  if (!row) throw new NotFoundError(`No re-deployment plan with id ${planId}.`);
  await requireRedeployAvailable();
  const { confirm } = parseInput(sendSchema, body);
  if (confirm !== row.contacts) {
    throw new InvalidInputError(`Type the number of contacts (${row.contacts}) to confirm; got ${confirm}.`, [{ path: "confirm", message: `must equal ${row.contacts}` }], "confirmation_mismatch");
  }
  if (row.contacts === 0 && row.status === "draft") throw new ConflictError(`Plan #${planId} has no contact to send.`);
  const sent = await getEngine().transaction(async (tx) => {
    const updated = await transitionPlan(tx, "send", planId, at, { by: by.actor.email });
    if (!updated) return conflict(tx, "send", planId);
    const { upper } = (await tx.one<{ upper: number }>("SELECT coalesce(max(id), 0) AS upper FROM failures"))!;
    const { suppressed } = (await tx.one<{ suppressed: number }>(
      `SELECT count(*) AS suppressed FROM redeploy_contacts WHERE plan_id = ? AND batch_seq IS NOT NULL AND contact IN (${DO_NOT_CONTACT_CONTACTS_SQL})`,
      [planId, ...DO_NOT_CONTACT_REASONS, upper],
    ))!;
    if (suppressed) {
      throw new ConflictError(`${suppressed} of this plan's contacts got a "do not contact" failure since the dry run; create a new plan.`, undefined, await toPlanDetail(tx, row));
    }
    const { changes: claimed } = await tx.exec(
      `INSERT INTO redeploy_retried (contact, poll_id, reason, plan_id)
       SELECT contact, poll_id, reason, plan_id FROM redeploy_contacts WHERE plan_id = ? AND batch_seq IS NOT NULL ORDER BY contact ON CONFLICT DO NOTHING`,
      [planId],
    );
    if (claimed !== row.contacts) {
      throw new ConflictError(`${row.contacts - claimed} of this plan's contacts were re-deployed by another plan since the dry run; create a new plan.`, undefined, await toPlanDetail(tx, row));
    }
    await appendAudit(tx, { actor: by.actor, action: "redeploy_plan_sent", target: `plan #${planId}`, detail: `${row.contacts} contacts confirmed`, ip: by.ip, at });
    return toPlanDetail(tx, updated);
  });
  wakeRedeployWorker();
  return sent;
}

/** pause, resume or cancel, by a person: one engine transaction with its audit row. Cancelling lets a call in flight finish. */
export async function changePlan(t: "pause" | "resume" | "cancel", id: unknown, by: ActingUser, at = Date.now()): Promise<PlanDetail> {
  const planId = parsePlanId(id);
  if (t === "resume") await requireRedeployAvailable();
  const result = await getEngine().transaction(async (tx) => {
    const updated = await transitionPlan(tx, t, planId, at);
    if (!updated) return conflict(tx, t, planId);
    if (t === "cancel") await closeUnsentBatches(tx, planId, at, `Plan cancelled by ${by.actor.email ?? "someone"}.`);
    await appendAudit(tx, { actor: by.actor, action: PLAN_TRANSITIONS[t].audit, target: `plan #${planId}`, ip: by.ip, at });
    return toPlanDetail(tx, updated);
  });
  if (t === "resume") wakeRedeployWorker();
  return result;
}
