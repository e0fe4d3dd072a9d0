/**
 * The lifecycle of a re-deployment plan and of its batches (no server code here, so the UI shares
 * it). People's actions on a plan are the transitions below; the worker finishes a plan.
 *
 * draft → sending (send, confirmed) → done | failed (worker)
 * sending ⇄ paused (pause / resume); draft | sending | paused → cancelled (cancel)
 */
export const PLAN_STATUSES = ["draft", "sending", "paused", "done", "failed", "cancelled"] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

export const PLAN_TRANSITIONS = {
  send: { from: ["draft"], to: "sending", audit: "redeploy_plan_sent" },
  pause: { from: ["sending"], to: "paused", audit: "redeploy_plan_paused" },
  resume: { from: ["paused"], to: "sending", audit: "redeploy_plan_resumed" },
  cancel: { from: ["draft", "sending", "paused"], to: "cancelled", audit: "redeploy_plan_cancelled" },
  finish: { from: ["sending"], to: "done", audit: null },
  fail: { from: ["sending", "paused"], to: "failed", audit: null },
} as const satisfies Record<string, { from: readonly PlanStatus[]; to: PlanStatus; audit: string | null }>;
export type PlanTransition = keyof typeof PLAN_TRANSITIONS;

/** Whether a plan in `status` may take `transition`. */
export function canTransition(transition: PlanTransition, status: PlanStatus): boolean {
  return (PLAN_TRANSITIONS[transition].from as readonly PlanStatus[]).includes(status);
}

/** Plans that no longer change. */
export const FINAL_PLAN_STATUSES: readonly PlanStatus[] = ["done", "failed", "cancelled"];

/**
 * A batch is recorded `sending` before its call and `sent` | `failed` after it; `pending` again
 * after a 429/5xx (Treble did not take it). A batch found `sending` after a restart, or whose call
 * got no answer, is `unknown`: Treble may have it, so it is never sent again. `not_sent`: the plan
 * ended (cancelled or failed) before its turn.
 */
export const BATCH_STATUSES = ["pending", "sending", "sent", "failed", "unknown", "not_sent"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** What the operator chooses to retry: "fix then retry" only once they confirm the cause is fixed. */
export const RETRYABLE_CLASSES = ["retry_later", "fix_then_retry"] as const;
export type RetryableClass = (typeof RETRYABLE_CLASSES)[number];
