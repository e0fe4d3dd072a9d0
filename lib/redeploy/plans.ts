import { z } from "zod";
import { getEngine } from "@/db/client";
import type { Queryable } from "@/db/engine";
import { NotFoundError } from "@/lib/http/errors";
import { reasonInfo } from "@/lib/reasons";
import { parseInput, parseQuery, type QueryParams } from "@/lib/validate";
import type { BatchStatus, PlanStatus, RetryableClass } from "./states";

export interface PlanContactSample {
  contact: string;
  countryCode: string | null;
  cellphone: string | null;
  reason: string;
  pollId: string | null;
  line: string | null;
  failedAt: string;
  failureId: number;
  /** deployment_eta as an ISO instant; null = as soon as possible. */
  eta: string | null;
}

/** The dry run, fixed when the plan is made. */
export interface PlanSummary {
  byPoll: Array<{ pollId: string; contacts: number; batches: number }>;
  byReason: Array<{ reason: string; label: string; contacts: number }>;
  byLine: Array<{ line: string | null; contacts: number }>;
  sample: PlanContactSample[];
  withoutPollSample: PlanContactSample[];
}

export type PlanSource = { filter: Record<string, string> } | { incidentId: number };

export interface PlanItem extends PlanSummary {
  id: number;
  status: PlanStatus;
  source: PlanSource;
  include: RetryableClass[];
  sendAt: string;
  line: string | null;
  /** Exactly who would be (or was) sent. */
  contacts: number;
  withoutPoll: number;
  excluded: { doNotContact: number; alreadyRetried: number; noPhone: number };
  createdAt: string;
  createdBy: string | null;
  sentAt: string | null;
  sentBy: string | null;
  finishedAt: string | null;
  error: string | null;
  updatedAt: string;
  progress: PlanProgress;
}

export interface PlanProgress {
  batches: number;
  byStatus: Record<BatchStatus, number>;
  contactsSent: number;
  /** Left out at send time: they got a "do not contact" failure after the dry run. */
  contactsSkipped: number;
}

export interface BatchItem {
  seq: number;
  pollId: string;
  size: number;
  status: BatchStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  httpStatus: number | null;
  /** Treble's answer. */
  id: string | null;
  batchId: string | null;
  conversationsId: string[];
  skipped: number;
  message: string | null;
}

export interface PlanDetail extends PlanItem {
  batches: BatchItem[];
  /** Failures received for its contacts after they were re-deployed. */
  followUp: { contacts: number; failures: number; byReason: Array<{ reason: string; label: string; contacts: number }> };
}

export interface PlanRow {
  id: number;
  status: PlanStatus;
  source: string;
  include: string;
  send_at: string;
  line: string | null;
  contacts: number;
  without_poll: number;
  excluded_do_not_contact: number;
  excluded_already_retried: number;
  excluded_no_phone: number;
  summary: string;
  created_at: number;
  created_by: string | null;
  sent_at: number | null;
  sent_by: string | null;
  finished_at: number | null;
  error: string | null;
  updated_at: number;
}

interface BatchRow {
  seq: number;
  poll_id: string;
  size: number;
  status: BatchStatus;
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
  http_status: number | null;
  treble_id: string | null;
  treble_batch_id: string | null;
  conversation_ids: string | null;
  skipped: number;
  message: string | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
export const reasonLabel = (reason: string) => reasonInfo(reason)?.label ?? reason;

const planIdSchema = z.object({ id: z.coerce.number({ message: "must be a plan id" }).int("must be a plan id").positive("must be a plan id") });

/** A plan's id as a route or a caller gives it; InvalidInputError naming `id`. */
export const parsePlanId = (id: unknown): number => parseInput(planIdSchema, { id }).id;

async function progressOf(q: Queryable, id: number): Promise<PlanProgress> {
  const byStatus: Record<BatchStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0, not_sent: 0 };
  let batches = 0;
  let contactsSkipped = 0;
  for (const r of await q.query<{ status: BatchStatus; n: number; skipped: number }>(
    "SELECT status, count(*) AS n, sum(skipped) AS skipped FROM redeploy_batches WHERE plan_id = ? GROUP BY status",
    [id],
  )) {
    byStatus[r.status] = r.n;
    batches += r.n;
    contactsSkipped += r.skipped;
  }
  const { n: contactsSent } = (await q.one<{ n: number }>("SELECT count(*) AS n FROM redeploy_contacts WHERE plan_id = ? AND sent_at IS NOT NULL", [id]))!;
  return { batches, byStatus, contactsSent, contactsSkipped };
}

export async function toPlanItem(q: Queryable, row: PlanRow): Promise<PlanItem> {
  const summary = JSON.parse(row.summary) as PlanSummary;
  return {
    id: row.id,
    status: row.status,
    source: JSON.parse(row.source) as PlanSource,
    include: JSON.parse(row.include) as RetryableClass[],
    sendAt: row.send_at,
    line: row.line,
    contacts: row.contacts,
    withoutPoll: row.without_poll,
    excluded: { doNotContact: row.excluded_do_not_contact, alreadyRetried: row.excluded_already_retried, noPhone: row.excluded_no_phone },
    ...summary,
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by,
    sentAt: iso(row.sent_at),
    sentBy: row.sent_by,
    finishedAt: iso(row.finished_at),
    error: row.error,
    updatedAt: iso(row.updated_at)!,
    progress: await progressOf(q, row.id),
  };
}

export async function findPlanRow(q: Queryable, id: number): Promise<PlanRow | undefined> {
  return q.one<PlanRow>("SELECT * FROM redeploy_plans WHERE id = ?", [id]);
}

function toBatchItem(r: BatchRow): BatchItem {
  return {
    seq: r.seq,
    pollId: r.poll_id,
    size: r.size,
    status: r.status,
    attempts: r.attempts,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    httpStatus: r.http_status,
    id: r.treble_id,
    batchId: r.treble_batch_id,
    conversationsId: r.conversation_ids ? (JSON.parse(r.conversation_ids) as string[]) : [],
    skipped: r.skipped,
    message: r.message,
  };
}

/** Reasons by contacts, most first, then by code (compared here: a database would follow its collation). */
const byContactsThenReason = (a: { reason: string; contacts: number }, b: { reason: string; contacts: number }) =>
  b.contacts - a.contacts || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0);

export async function toPlanDetail(q: Queryable, row: PlanRow): Promise<PlanDetail> {
  const batches = (await q.query<BatchRow>("SELECT * FROM redeploy_batches WHERE plan_id = ? ORDER BY seq", [row.id])).map(toBatchItem);
  const byReason = (await q.query<{ reason: string; contacts: number }>("SELECT reason, count(DISTINCT contact) AS contacts FROM redeploy_follow_ups WHERE plan_id = ? GROUP BY reason", [row.id]))
    .sort(byContactsThenReason)
    .map((r) => ({ ...r, label: reasonLabel(r.reason) }));
  const totals = (await q.one<{ contacts: number; failures: number }>("SELECT count(DISTINCT contact) AS contacts, count(*) AS failures FROM redeploy_follow_ups WHERE plan_id = ?", [row.id]))!;
  return { ...(await toPlanItem(q, row)), batches, followUp: { ...totals, byReason } };
}

/** One plan with its batches and follow-up; NotFoundError for an unknown id. */
export async function getPlan(id: unknown): Promise<PlanDetail> {
  const planId = parsePlanId(id);
  const engine = getEngine();
  const row = await findPlanRow(engine, planId);
  if (!row) throw new NotFoundError(`No re-deployment plan with id ${planId}.`);
  return toPlanDetail(engine, row);
}

const listSchema = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Newest first (without samples), keyset-paged by id. */
export async function listPlans(params: QueryParams): Promise<{ items: Array<Omit<PlanItem, "sample" | "withoutPollSample">>; nextBefore: number | null }> {
  const { before, limit } = parseQuery(listSchema, params);
  const engine = getEngine();
  const rows = await engine.query<PlanRow>(
    `SELECT * FROM redeploy_plans ${before === undefined ? "" : "WHERE id < ?"} ORDER BY id DESC LIMIT ?`,
    before === undefined ? [limit + 1] : [before, limit + 1],
  );
  const items: Array<Omit<PlanItem, "sample" | "withoutPollSample">> = [];
  for (const r of rows.slice(0, limit)) {
    const item: Partial<PlanItem> = await toPlanItem(engine, r);
    delete item.sample;
    delete item.withoutPollSample;
    items.push(item as Omit<PlanItem, "sample" | "withoutPollSample">);
  }
  return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.id : null };
}
