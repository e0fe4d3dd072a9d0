import { getEngine } from "@/db/client";
import type { Dialect, Engine, Queryable } from "@/db/engine";
import { getSettings } from "@/lib/config";
import { DO_NOT_CONTACT_CONTACTS_SQL } from "@/lib/export/contacts";
import { DO_NOT_CONTACT_REASONS } from "@/lib/reasons";
import { logger } from "@/lib/log";
import { leaseOwner } from "@/lib/ops/lease-owner";
import { closeUnsentBatches, transitionPlan } from "./actions";
import { trebleCountryCode, type SessionKey, type TrebleUser } from "./payload";
import { isRedeployEnabled, trebleApiKey } from "./settings";
import type { PlanStatus } from "./states";
import { deployToPoll, type CallOutcome } from "./treble-client";
import { clearRedeployWake, setRedeployWake } from "./wake";

/** After this many 429/5xx answers (or unreachable attempts) in a row, a batch is given up. */
export const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 60_000;
/** A Retry-After longer than this is not waited for as asked (the batch is retried then). */
const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** Plans are looked at this often even when nobody wakes the worker (resume after restart, backoff). */
const POLL_MS = 1000;
/**
 * How much longer than one Treble call may take (TREBLE_API_TIMEOUT_MS) a plan's lease lasts: it is
 * renewed as a batch is marked `sending`, so a live instance records the answer while it holds it.
 */
const LEASE_MARGIN_MS = 60_000;

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

interface Batch {
  seq: number;
  poll_id: string;
}

export interface RedeployWorker {
  /** Look for work now (a plan was sent or resumed). */
  wake(): void;
  /** Stops taking batches; resolves once a call in flight is recorded. */
  stop(): Promise<void>;
}

export interface RedeployWorkerOptions {
  pollMs?: number;
  /** Where plans are read and written (default: getEngine()); tests run two instances on two pools. */
  engine?: Engine;
  /** The name it leases plans under (default: leaseOwner(engine.dialect)). */
  owner?: string;
  /** How long a plan's lease lasts unless renewed (default: TREBLE_API_TIMEOUT_MS + LEASE_MARGIN_MS). */
  leaseMs?: number;
}

type BatchFields = Partial<{ status: string; httpStatus: number | null; id: string | null; batchId: string | null; conversations: string | null; skipped: number; message: string | null; nextAttemptAt: number }>;

/** Nobody holds the plan, its lease ran out, or it is the claimer's own. */
const FREE = "(p.lease_until IS NULL OR p.lease_until <= ? OR p.lease_owner = ?)";

/**
 * Serializes claims across instances on PostgreSQL (a transaction-level advisory lock, apart from
 * LEADER_LOCK_KEY and MIGRATION_LOCK_KEY), so a claim sees every lease committed before it: the
 * "no call in flight on another instance" condition then holds cluster-wide. SQLite's write
 * transactions take turns already.
 */
export const CLAIM_LOCK_KEY = 7_346_512_003;

const INTERRUPTED = "The server stopped during this call; Treble may have received it, so it is not sent again.";

function statements(dialect: Dialect) {
  return {
    /**
     * Leases the first plan being sent that has something to do now (a batch due, one left
     * `sending` by a holder that is gone, or nothing left so it ends) and that no other instance
     * holds; a plan whose row another transaction has locked is passed over, not waited for.
     */
    serializeClaims: dialect.name === "postgres" ? `SELECT pg_advisory_xact_lock(${CLAIM_LOCK_KEY})` : null,
    /**
     * …and only while no other instance holds a plan: one call to Treble in flight per API key
     * across the cluster (Treble's rate limits are per key), as within one instance.
     */
    claimPlan: `UPDATE redeploy_plans SET lease_owner = ?, lease_until = ?
      WHERE NOT EXISTS (SELECT 1 FROM redeploy_plans o WHERE o.lease_owner <> ? AND o.lease_until > ?)
        AND id IN (SELECT p.id FROM redeploy_plans p WHERE p.status = 'sending' AND ${FREE}
        AND (EXISTS (SELECT 1 FROM redeploy_batches b WHERE b.plan_id = p.id AND (b.status = 'sending' OR (b.status = 'pending' AND b.next_attempt_at <= ?)))
          OR NOT EXISTS (SELECT 1 FROM redeploy_batches b WHERE b.plan_id = p.id AND b.status IN ('pending', 'sending')))
        ORDER BY p.id LIMIT 1 ${dialect.skipLocked})
      RETURNING id`,
    /** Renews the lease only while this instance still holds it; the plan's row stays locked until commit. */
    renewLease: "UPDATE redeploy_plans SET lease_until = ? WHERE id = ? AND lease_owner = ? RETURNING status",
    releaseLease: "UPDATE redeploy_plans SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
    interrupted: `UPDATE redeploy_batches SET status = 'unknown', finished_at = ?, message = '${INTERRUPTED}' WHERE plan_id = ? AND status = 'sending'`,
    /** The same for plans paused or cancelled while their sender was gone: no instance claims them. */
    interruptedElsewhere: `UPDATE redeploy_batches SET status = 'unknown', finished_at = ?, message = '${INTERRUPTED}'
      WHERE status = 'sending' AND plan_id IN (SELECT p.id FROM redeploy_plans p
        WHERE p.id IN (SELECT plan_id FROM redeploy_batches WHERE status = 'sending') AND p.status <> 'sending' AND ${FREE} ${dialect.skipLocked})`,
    tally: `SELECT count(*) AS batches, count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE status = 'unknown') AS unknown,
        count(*) FILTER (WHERE status IN ('pending', 'sending')) AS open
      FROM redeploy_batches WHERE plan_id = ?`,
    nextBatch: "SELECT seq, poll_id FROM redeploy_batches WHERE plan_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT 1",
    markSending: `UPDATE redeploy_batches SET status = 'sending', attempts = attempts + 1, started_at = ?, message = NULL
      WHERE plan_id = ? AND seq = ? AND status = 'pending' RETURNING attempts`,
    maxFailureId: "SELECT coalesce(max(id), 0) AS upper FROM failures",
    batchContacts: `SELECT contact, country_code, cellphone, session_keys, eta, CASE WHEN contact IN (${DO_NOT_CONTACT_CONTACTS_SQL}) THEN 1 ELSE 0 END AS dnc
      FROM redeploy_contacts WHERE plan_id = ? AND batch_seq = ? ORDER BY contact`,
    recordBatch: `UPDATE redeploy_batches SET status = ?, finished_at = ?, http_status = ?, treble_id = ?, treble_batch_id = ?, conversation_ids = ?,
        skipped = ?, message = ?, next_attempt_at = ?
      WHERE plan_id = ? AND seq = ? AND status = 'sending'`,
    markContactsSent: `UPDATE redeploy_contacts SET sent_at = ? WHERE plan_id = ? AND contact IN ${dialect.jsonArrayValues("text")}`,
    sendingPlans: "SELECT id FROM redeploy_plans WHERE status = 'sending'",
  };
}

/**
 * Sends the batches of plans being sent, one call at a time, off the webhook path: a
 * timer in the server process. Each batch is recorded `sending` before its call and with Treble's
 * answer after it, in their own transactions.
 *
 * Across instances (PostgreSQL) one instance at a time works a plan, and only while no other
 * instance holds one (one call in flight per API key in the cluster): it first leases the plan
 * (`redeploy_plans.lease_owner/lease_until`, claimed by one `UPDATE … WHERE id IN (SELECT … FOR
 * UPDATE SKIP LOCKED) RETURNING` under CLAIM_LOCK_KEY), and every write of a batch's progress is
 * made in a transaction that first renews that lease (`AND lease_owner = ?`, which also locks the
 * plan's row): an instance that lost its lease writes nothing. The lease is released after each
 * batch. A 429/5xx delays that batch on every instance; the instance that got it also waits before
 * its next call (`blockedUntil`), while another instance may call for another plan meanwhile.
 *
 * Treble never gets a contact twice: a batch goes out only after its `pending → sending` change is
 * committed (one conditional UPDATE, so one instance wins it), and a `sending` batch never goes back
 * to `pending` except by its sender recording a 429/5xx (Treble did not take it). Whoever next holds
 * a plan whose batch is still `sending` — the restarted server on SQLite at once (one fixed owner),
 * another instance once a crashed one's lease ran out — marks it `unknown`, never sent again.
 */
export function startRedeployWorker(options: RedeployWorkerOptions = {}): RedeployWorker {
  const engine = options.engine ?? getEngine();
  const owner = options.owner ?? leaseOwner(engine.dialect);
  const leaseMs = options.leaseMs ?? getSettings().TREBLE_API_TIMEOUT_MS + LEASE_MARGIN_MS;
  const sql = statements(engine.dialect);
  const log = logger();

  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  /** This instance's calls wait here after a 429/5xx, whichever plan's batch is next. */
  let blockedUntil = 0;

  /**
   * Runs `write` in one transaction that first renews the plan's lease; undefined, with nothing
   * written, when the lease has passed to another instance.
   */
  function whileHeld<T>(planId: number, at: number, write: (tx: Queryable, status: PlanStatus) => Promise<T>): Promise<T | undefined> {
    return engine.transaction(async (tx) => {
      const held = await tx.one<{ status: PlanStatus }>(sql.renewLease, [at + leaseMs, planId, owner]);
      return held ? write(tx, held.status) : undefined;
    });
  }

  function recordBatch(tx: Queryable, planId: number, seq: number, at: number, fields: BatchFields) {
    const f = { status: "failed", httpStatus: null, id: null, batchId: null, conversations: null, skipped: 0, message: null, nextAttemptAt: 0, ...fields };
    return tx.exec(sql.recordBatch, [f.status, at, f.httpStatus, f.id, f.batchId, f.conversations, f.skipped, f.message, f.nextAttemptAt, planId, seq]);
  }

  /** Ends a plan with nothing left to send: done when every batch went out, failed otherwise. */
  async function endIfNothingLeft(tx: Queryable, planId: number, at: number): Promise<{ batches: number; failed: number; unknown: number } | undefined> {
    const tally = (await tx.one<{ batches: number; failed: number; unknown: number; open: number }>(sql.tally, [planId]))!;
    if (tally.open) return undefined;
    const { batches, failed, unknown } = tally;
    if (failed + unknown === 0) await transitionPlan(tx, "finish", planId, at);
    else {
      const parts = [failed ? `${failed} refused by Treble` : "", unknown ? `${unknown} of unknown outcome (not sent again)` : ""].filter(Boolean);
      await transitionPlan(tx, "fail", planId, at, { error: `${failed + unknown} of ${batches} batches were not delivered: ${parts.join(", ")}. See each batch's message.` });
      await closeUnsentBatches(tx, planId, at, "Plan ended.");
    }
    return { batches, failed, unknown };
  }

  /** Writes Treble's answer while the lease is held; false when it was lost (nothing written). */
  async function record(planId: number, seq: number, attempts: number, sentTo: string[], skipped: number, outcome: CallOutcome): Promise<boolean> {
    const at = Date.now();
    const retryable = outcome.kind === "unreachable" || (outcome.kind === "refused" && (outcome.status === 429 || outcome.status >= 500));
    const retryInMs = retryable && attempts < MAX_ATTEMPTS ? backoffMs(attempts, outcome.kind === "refused" ? outcome.retryAfterMs : null) : null;
    const recorded = await whileHeld(planId, at, async (tx) => {
      if (outcome.kind === "accepted") {
        await recordBatch(tx, planId, seq, at, { status: "sent", httpStatus: outcome.status, id: outcome.id, batchId: outcome.batchId, conversations: JSON.stringify(outcome.conversationsId), skipped, message: outcome.message });
        await tx.exec(sql.markContactsSent, [at, planId, JSON.stringify(sentTo)]);
        return true;
      }
      if (outcome.kind === "no_answer") {
        await recordBatch(tx, planId, seq, at, { status: "unknown", skipped, message: `${outcome.message} Treble may have received it, so it is not sent again.` });
        await transitionPlan(tx, "pause", planId, at, { error: `Batch ${seq}: ${outcome.message} It is not sent again; resume to go on with the other batches.` });
        return true;
      }
      const httpStatus = outcome.kind === "refused" ? outcome.status : null;
      if (retryInMs !== null) {
        const said = outcome.kind === "refused" ? `Treble answered ${outcome.status} (${outcome.message})` : outcome.message;
        await recordBatch(tx, planId, seq, at, { status: "pending", httpStatus, message: `${said}; retrying in ${Math.ceil(retryInMs / 1000)} s.`, nextAttemptAt: at + retryInMs });
        return true;
      }
      const said = outcome.kind === "refused" ? `Treble answered ${outcome.status}: ${outcome.message}` : outcome.message;
      await recordBatch(tx, planId, seq, at, { status: "failed", httpStatus, skipped, message: retryable ? `${said} (gave up after ${attempts} attempts)` : said });
      if (httpStatus === 401 || httpStatus === 403) {
        await transitionPlan(tx, "fail", planId, at, {
          error: `Treble refused the API key (${httpStatus}: ${outcome.kind === "refused" ? outcome.message : ""}). Check TREBLE_API_KEY or the key under Settings → Re-deployment; no further batches were sent.`,
        });
        await closeUnsentBatches(tx, planId, at, "Not sent: Treble refused the API key.");
      }
      return true;
    });
    if (retryInMs !== null) blockedUntil = at + retryInMs;
    log.info({ planId, batch: seq, outcome: outcome.kind, status: "status" in outcome ? outcome.status : undefined }, "re-deployment batch call");
    if (!recorded) log.warn({ planId, batch: seq }, "re-deployment batch outcome not recorded: the plan's lease had passed to another instance, which marks the batch unknown");
    return recorded ?? false;
  }

  /** Pauses every plan being sent when sending is no longer possible (the feature off, no key). */
  async function pauseAll(why: string, at: number): Promise<void> {
    await engine.transaction(async (tx) => {
      for (const { id } of await tx.query<{ id: number }>(sql.sendingPlans)) await transitionPlan(tx, "pause", id, at, { error: why });
    });
  }

  /** One turn on a leased plan: at most one batch. True when it did something. */
  async function workPlan(planId: number): Promise<boolean> {
    const now = Date.now();
    const settled = await whileHeld(planId, now, async (tx) => {
      const interrupted = (await tx.exec(sql.interrupted, [now, planId])).changes;
      return { interrupted, ended: await endIfNothingLeft(tx, planId, now) };
    });
    if (!settled) return false;
    if (settled.interrupted) log.warn({ planId, batches: settled.interrupted }, "re-deployment batches interrupted by a stopped instance marked unknown (not sent again)");
    if (settled.ended) {
      log.info({ planId, ...settled.ended }, "re-deployment plan finished");
      return true;
    }
    const batch = await engine.one<Batch>(sql.nextBatch, [planId, now]);
    if (!batch) return settled.interrupted > 0;
    const { key } = await trebleApiKey();
    if (!(await isRedeployEnabled()) || !key) {
      await pauseAll(key ? "Re-deployment was disabled by an admin." : "No Treble API key is available any more.", now);
      return false;
    }
    const claimed = await whileHeld(planId, now, async (tx, status) => {
      if (status !== "sending") return undefined;
      const marked = await tx.one<{ attempts: number }>(sql.markSending, [now, planId, batch.seq]);
      if (!marked) return undefined;
      const { upper } = (await tx.one<{ upper: number }>(sql.maxFailureId))!;
      return { attempts: marked.attempts, contacts: await tx.query<ContactRow>(sql.batchContacts, [...DO_NOT_CONTACT_REASONS, upper, planId, batch.seq]) };
    });
    if (!claimed) return false;
    // Safety at the last moment: a "do not contact" failure that arrived after the send is obeyed.
    const sendable = claimed.contacts.filter((c) => !c.dnc);
    const skipped = claimed.contacts.length - sendable.length;
    if (sendable.length === 0) {
      await whileHeld(planId, Date.now(), (tx) =>
        recordBatch(tx, planId, batch.seq, Date.now(), { status: "not_sent", skipped, message: 'Every contact of this batch got a "do not contact" failure; nothing sent.' }),
      );
      return true;
    }
    const users: TrebleUser[] = sendable.map((c) => ({
      cellphone: c.cellphone,
      country_code: trebleCountryCode(c.country_code),
      user_session_keys: JSON.parse(c.session_keys) as SessionKey[],
      ...(c.eta === null ? {} : { deployment_eta: c.eta }),
    }));
    const { TREBLE_API_URL, TREBLE_API_TIMEOUT_MS } = getSettings();
    const outcome = await deployToPoll(TREBLE_API_URL, key, batch.poll_id, users, TREBLE_API_TIMEOUT_MS);
    return record(planId, batch.seq, claimed.attempts, sendable.map((c) => c.contact), skipped, outcome);
  }

  /** Leases the next plan with work and does one batch of it. False when there was nothing to do now. */
  async function step(): Promise<boolean> {
    const now = Date.now();
    const { changes: interrupted } = await engine.exec(sql.interruptedElsewhere, [now, now, owner]);
    if (interrupted) log.warn({ batches: interrupted }, "re-deployment batches of paused or ended plans interrupted by a stopped instance marked unknown (not sent again)");
    if (now < blockedUntil) return false;
    const plan = await engine.transaction(async (tx) => {
      if (sql.serializeClaims) await tx.one(sql.serializeClaims);
      return tx.one<{ id: number }>(sql.claimPlan, [owner, now + leaseMs, owner, now, now, owner, now]);
    });
    if (!plan) return false;
    try {
      return await workPlan(plan.id);
    } finally {
      // Between batches any instance may take the plan (a call in flight holds it, not a whole plan).
      await engine.exec(sql.releaseLease, [plan.id, owner]);
    }
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
      clearRedeployWake(wake);
      await running;
    },
  };
}
