import type Database from "better-sqlite3";
import { getDb } from "@/db/client";
import { getSettings } from "@/lib/config";
import { DO_NOT_CONTACT_CONTACTS_SQL } from "@/lib/export/contacts";
import { DO_NOT_CONTACT_REASONS } from "@/lib/reasons";
import { logger } from "@/lib/log";
import { closeUnsentBatchesStatements, transitionStatement, type TransitionFields } from "./actions";
import { trebleCountryCode, type SessionKey, type TrebleUser } from "./payload";
import { isRedeployEnabled, trebleApiKey } from "./settings";
import { deployToPoll, type CallOutcome } from "./treble-client";
import type { PlanTransition } from "./states";
import { setRedeployWake } from "./wake";

/** After this many 429/5xx answers (or unreachable attempts) in a row, a batch is given up. */
export const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 60_000;
/** A Retry-After longer than this is not waited for as asked (the batch is retried then). */
const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** Plans are looked at this often even when nobody wakes the worker (resume after restart, backoff). */
const POLL_MS = 1000;

/** Exponential backoff: 1 s, 2 s, 4 s … up to a minute; Treble's Retry-After when it gave one. */
export function backoffMs(attempts: number, retryAfterMs: number | null): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

interface ContactRow {
  contact: string;
  country_code: string;
  cellphone: string;
  session_keys: string;
  eta: number | null;
  dnc: number;
}

interface Picked {
  planId: number;
  seq: number;
  pollId: string;
  attempts: number;
}

export interface RedeployWorker {
  /** Look for work now (a plan was sent or resumed). */
  wake(): void;
  /** Stops taking batches; resolves once a call in flight is recorded. */
  stop(): Promise<void>;
}

// The worker claims, sends and records batches on the synchronous SQLite connection (until step 6
// of docs/postgresql.md: claiming across instances); its plan transitions and the closing of a
// plan's unsent batches are the verbs' own statements (./actions.ts), run here synchronously.
function transitionPlan(sqlite: Database.Database, t: PlanTransition, id: number, at: number, fields?: TransitionFields): void {
  const { sql, params } = transitionStatement(t, id, at, fields);
  sqlite.prepare(sql).get(...params);
}

function closeUnsentBatches(sqlite: Database.Database, planId: number, at: number, message: string): void {
  for (const { sql, params } of closeUnsentBatchesStatements(planId, at, message)) sqlite.prepare(sql).run(...params);
}

/**
 * Marks batches left `sending` by a process that died mid-call as `unknown`: Treble may have taken
 * them, so they are never sent again. Only one server process runs a worker per database.
 */
export function recoverInterruptedBatches(sqlite: Database.Database, at = Date.now()): number {
  return sqlite
    .prepare(
      `UPDATE redeploy_batches SET status = 'unknown', finished_at = ?,
         message = 'The server stopped during this call; Treble may have received it, so it is not sent again.'
       WHERE status = 'sending'`,
    )
    .run(at).changes;
}

/** Ends plans that have nothing left to send: done when every batch went out, failed otherwise. */
function finishPlans(sqlite: Database.Database, at: number): void {
  const plans = sqlite
    .prepare(
      `SELECT p.id, count(b.seq) AS batches, sum(b.status = 'sent') AS sent, sum(b.status = 'failed') AS failed, sum(b.status = 'unknown') AS unknown
       FROM redeploy_plans p LEFT JOIN redeploy_batches b ON b.plan_id = p.id
       WHERE p.status = 'sending' AND NOT EXISTS (SELECT 1 FROM redeploy_batches x WHERE x.plan_id = p.id AND x.status IN ('pending', 'sending'))
       GROUP BY p.id`,
    )
    .all() as Array<{ id: number; batches: number; sent: number | null; failed: number | null; unknown: number | null }>;
  for (const p of plans) {
    const failed = p.failed ?? 0;
    const unknown = p.unknown ?? 0;
    sqlite.transaction(() => {
      if (failed + unknown === 0) transitionPlan(sqlite, "finish", p.id, at);
      else {
        const parts = [failed ? `${failed} refused by Treble` : "", unknown ? `${unknown} of unknown outcome (not sent again)` : ""].filter(Boolean);
        transitionPlan(sqlite, "fail", p.id, at, { error: `${failed + unknown} of ${p.batches} batches were not delivered: ${parts.join(", ")}. See each batch's message.` });
        closeUnsentBatches(sqlite, p.id, at, "Plan ended.");
      }
    })();
    logger().info({ planId: p.id, batches: p.batches, failed, unknown }, "re-deployment plan finished");
  }
}

/**
 * Sends the batches of plans being sent, one call at a time (so at most one call per API key is
 * in flight), off the webhook path: a timer in the server process. Each batch is recorded
 * `sending` before its call and with Treble's answer after it, in their own transactions.
 */
export function startRedeployWorker(options: { pollMs?: number } = {}): RedeployWorker {
  const { sqlite } = getDb();
  const log = logger();
  const recovered = recoverInterruptedBatches(sqlite);
  if (recovered) log.warn({ batches: recovered }, "re-deployment batches interrupted by a restart marked unknown (not sent again)");

  const pickBatch = sqlite.prepare(
    `SELECT b.plan_id AS planId, b.seq, b.poll_id AS pollId, b.attempts FROM redeploy_batches b JOIN redeploy_plans p ON p.id = b.plan_id
     WHERE p.status = 'sending' AND b.status = 'pending' AND b.next_attempt_at <= ? ORDER BY b.plan_id, b.seq LIMIT 1`,
  );
  const markSending = sqlite.prepare(
    `UPDATE redeploy_batches SET status = 'sending', attempts = attempts + 1, started_at = ?, message = NULL
     WHERE plan_id = ? AND seq = ? AND status = 'pending' AND (SELECT status FROM redeploy_plans WHERE id = plan_id) = 'sending' RETURNING attempts`,
  );
  const batchContacts = sqlite.prepare(
    `SELECT contact, country_code, cellphone, session_keys, eta, contact IN (${DO_NOT_CONTACT_CONTACTS_SQL}) AS dnc
     FROM redeploy_contacts WHERE plan_id = ? AND batch_seq = ? ORDER BY contact`,
  );
  const maxFailureId = sqlite.prepare("SELECT coalesce(max(id), 0) FROM failures").pluck();
  const updateBatch = sqlite.prepare(
    `UPDATE redeploy_batches SET status = @status, finished_at = @at, http_status = @httpStatus, treble_id = @id, treble_batch_id = @batchId,
       conversation_ids = @conversations, skipped = @skipped, message = @message, next_attempt_at = @nextAttemptAt
     WHERE plan_id = @planId AND seq = @seq`,
  );
  const markContactSent = sqlite.prepare("UPDATE redeploy_contacts SET sent_at = ? WHERE plan_id = ? AND contact = ?");

  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  /** One API key's calls wait here after a 429/5xx, whichever plan's batch is next. */
  let blockedUntil = 0;

  const setBatch = (b: Picked, at: number, fields: Partial<{ status: string; httpStatus: number | null; id: string | null; batchId: string | null; conversations: string | null; skipped: number; message: string | null; nextAttemptAt: number }>) =>
    updateBatch.run({
      planId: b.planId,
      seq: b.seq,
      at,
      status: "failed",
      httpStatus: null,
      id: null,
      batchId: null,
      conversations: null,
      skipped: 0,
      message: null,
      nextAttemptAt: 0,
      ...fields,
    });

  function record(b: Picked, attempts: number, sentTo: string[], skipped: number, outcome: CallOutcome): void {
    const at = Date.now();
    sqlite.transaction(() => {
      if (outcome.kind === "accepted") {
        setBatch(b, at, { status: "sent", httpStatus: outcome.status, id: outcome.id, batchId: outcome.batchId, conversations: JSON.stringify(outcome.conversationsId), skipped, message: outcome.message });
        for (const contact of sentTo) markContactSent.run(at, b.planId, contact);
        return;
      }
      if (outcome.kind === "no_answer") {
        setBatch(b, at, { status: "unknown", skipped, message: `${outcome.message} Treble may have received it, so it is not sent again.` });
        transitionPlan(sqlite, "pause", b.planId, at, { error: `Batch ${b.seq}: ${outcome.message} It is not sent again; resume to go on with the other batches.` });
        return;
      }
      const retryable = outcome.kind === "unreachable" || outcome.status === 429 || outcome.status >= 500;
      if (retryable && attempts < MAX_ATTEMPTS) {
        const wait = backoffMs(attempts, outcome.kind === "refused" ? outcome.retryAfterMs : null);
        blockedUntil = at + wait;
        const said = outcome.kind === "refused" ? `Treble answered ${outcome.status} (${outcome.message})` : outcome.message;
        setBatch(b, at, { status: "pending", httpStatus: outcome.kind === "refused" ? outcome.status : null, message: `${said}; retrying in ${Math.ceil(wait / 1000)} s.`, nextAttemptAt: at + wait });
        return;
      }
      const httpStatus = outcome.kind === "refused" ? outcome.status : null;
      const said = outcome.kind === "refused" ? `Treble answered ${outcome.status}: ${outcome.message}` : outcome.message;
      setBatch(b, at, { status: "failed", httpStatus, skipped, message: retryable ? `${said} (gave up after ${attempts} attempts)` : said });
      if (httpStatus === 401 || httpStatus === 403) {
        transitionPlan(sqlite, "fail", b.planId, at, {
          error: `Treble refused the API key (${httpStatus}: ${outcome.kind === "refused" ? outcome.message : ""}). Check TREBLE_API_KEY or the key under Settings → Re-deployment; no further batches were sent.`,
        });
        closeUnsentBatches(sqlite, b.planId, at, "Not sent: Treble refused the API key.");
      }
    })();
    log.info({ planId: b.planId, batch: b.seq, outcome: outcome.kind, status: "status" in outcome ? outcome.status : undefined }, "re-deployment batch call");
  }

  /** One batch, start to finish; false when there was nothing to do now. */
  async function step(): Promise<boolean> {
    const now = Date.now();
    finishPlans(sqlite, now);
    if (now < blockedUntil) return false;
    const picked = pickBatch.get(now) as Picked | undefined;
    if (!picked) return false;
    const { key } = await trebleApiKey();
    if (!(await isRedeployEnabled()) || !key) {
      const why = key ? "Re-deployment was disabled by an admin." : "No Treble API key is available any more.";
      sqlite.transaction(() => {
        for (const id of sqlite.prepare("SELECT id FROM redeploy_plans WHERE status = 'sending'").pluck().all() as number[]) transitionPlan(sqlite, "pause", id, now, { error: why });
      })();
      return false;
    }
    const claimed = sqlite.transaction(() => {
      const row = markSending.get(now, picked.planId, picked.seq) as { attempts: number } | undefined;
      if (!row) return null;
      return { attempts: row.attempts, contacts: batchContacts.all(...DO_NOT_CONTACT_REASONS, maxFailureId.get(), picked.planId, picked.seq) as ContactRow[] };
    })();
    if (!claimed) return true;
    // Safety at the last moment: a "do not contact" failure that arrived after the send is obeyed.
    const sendable = claimed.contacts.filter((c) => !c.dnc);
    const skipped = claimed.contacts.length - sendable.length;
    if (sendable.length === 0) {
      setBatch(picked, Date.now(), { status: "not_sent", skipped, message: 'Every contact of this batch got a "do not contact" failure; nothing sent.' });
      return true;
    }
    const users: TrebleUser[] = sendable.map((c) => ({
      cellphone: c.cellphone,
      country_code: trebleCountryCode(c.country_code),
      user_session_keys: JSON.parse(c.session_keys) as SessionKey[],
      ...(c.eta === null ? {} : { deployment_eta: c.eta }),
    }));
    const { TREBLE_API_URL, TREBLE_API_TIMEOUT_MS } = getSettings();
    const outcome = await deployToPoll(TREBLE_API_URL, key, picked.pollId, users, TREBLE_API_TIMEOUT_MS);
    record(picked, claimed.attempts, sendable.map((c) => c.contact), skipped, outcome);
    return true;
  }

  async function drain(): Promise<void> {
    try {
      while (!stopped && (await step()));
    } catch (err) {
      log.error({ err }, "re-deployment worker step failed");
    }
  }

  function run(): void {
    if (stopped || running) return;
    running = drain().finally(() => {
      running = null;
      if (!stopped) schedule();
    });
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(run, options.pollMs ?? POLL_MS);
    timer.unref();
  }

  const wake = () => {
    if (!running) run();
  };
  setRedeployWake(wake);
  run();
  return {
    wake,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      setRedeployWake(undefined);
      await running;
    },
  };
}
