import { z } from "zod";
import { getEngine } from "@/db/client";
import { appendAudit } from "@/lib/auth/audit";
import { getSettings } from "@/lib/config";
import { codesOf } from "@/lib/reasons";
import { parseFilters, resolveWindow } from "@/lib/filters";
import { InvalidInputError, NotFoundError } from "@/lib/http/errors";
import type { ActingUser } from "@/lib/incidents/apply";
import { runRead } from "@/lib/read/pool";
import { isIsoDateTime, parseInput } from "@/lib/validate";
import type { Candidate, PlanView } from "./candidates";
import { MAX_USERS_PER_CALL, normalizeLine, sessionKeysFor } from "./payload";
import { findPlanRow, reasonLabel, toPlanDetail, type PlanContactSample, type PlanDetail, type PlanSource, type PlanSummary } from "./plans";
import { requireRedeployAvailable } from "./settings";
import { RETRYABLE_CLASSES } from "./states";
import { etaFor, type SendAt } from "./timing";

const SAMPLE_SIZE = 20;

const createSchema = z
  .object({
    filter: z.record(z.string(), z.union([z.string(), z.array(z.string())]), { message: "must be an object of URL filter parameters" }).optional(),
    incidentId: z.number({ message: "must be an incident id" }).int("must be an incident id").positive("must be an incident id").optional(),
    include: z
      .array(z.enum(RETRYABLE_CLASSES, { message: `must be ${RETRYABLE_CLASSES.join(" or ")}` }), { message: "must be a list of reason classes" })
      .min(1, "must name at least one class")
      .default(["retry_later"]),
    sendAt: z
      .string({ message: 'must be "now", "earliest" or an ISO 8601 instant' })
      .default("now")
      .refine((v) => v === "now" || v === "earliest" || isIsoDateTime(v), 'must be "now", "earliest" or an ISO 8601 instant'),
    line: z
      .string({ message: "must be a phone number" })
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return null;
        const line = normalizeLine(v);
        if (!line) ctx.addIssue({ code: "custom", message: "must be the line's phone number (7–15 digits)" });
        return line;
      }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.filter === undefined) === (v.incidentId === undefined)) ctx.addIssue({ code: "custom", path: ["filter"], message: "give either filter or incidentId" });
  });

/** A redeploy_contacts row after its plan_id: contact, failure_id, reason, poll_id, country_code, cellphone, line, session_keys, eta, batch_seq. */
type ContactTuple = [string, number, string, string | null, string | null, string | null, string, string, number | null, number | null];
const CONTACT_TYPES = ["text", "integer", "text", "text", "text", "text", "text", "text", "integer", "integer"] as const;

interface Chosen {
  c: Candidate;
  keys: string;
  line: string;
  eta: number | null;
}

const sampleOf = (x: Chosen | Candidate): PlanContactSample => {
  const c = "c" in x ? x.c : x;
  return {
    contact: c.contact,
    countryCode: c.country_code,
    cellphone: c.cellphone,
    reason: c.reason,
    pollId: c.poll_id,
    line: ("c" in x ? x.line : c.line) || null,
    failedAt: new Date(c.occurred_at).toISOString(),
    failureId: c.id,
    eta: "c" in x && x.eta !== null ? new Date(x.eta * 1000).toISOString() : null,
  };
};

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
const sortedCounts = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/**
 * Makes a draft plan — the dry run — from a filtered view or an incident: each contact whose
 * latest failure in the view is of an included class, minus every contact with a "do not
 * contact" failure ever, contacts whose (poll, reason) was already re-deployed, and contacts
 * without a phone to send to; contacts without a poll_id are counted and listed apart. The view is
 * read on the read path (it may look through a long window: never on the webhook's thread nor its
 * connections), as of one snapshot; the plan is then written in one short engine transaction with
 * its audit row, so its counts are exactly who it holds. Sending re-checks "do not contact" and
 * already-retried contacts.
 */
export async function createPlan(input: unknown, by: ActingUser, now = Date.now()): Promise<PlanDetail> {
  await requireRedeployAvailable();
  const body = parseInput(createSchema, input);
  const { REDEPLOY_MAX_CONTACTS: maxContacts } = getSettings();
  const sendAt: SendAt = body.sendAt === "now" ? { kind: "now" } : body.sendAt === "earliest" ? { kind: "earliest" } : { kind: "at", at: Date.parse(body.sendAt) };
  if (sendAt.kind === "at" && sendAt.at < now - 60_000) throw new InvalidInputError("sendAt is in the past.", [{ path: "sendAt", message: "is in the past" }], "invalid_input");

  let view: PlanView;
  let source: PlanSource;
  if (body.incidentId !== undefined) {
    const exists = await getEngine().one("SELECT 1 AS found FROM incidents WHERE id = ?", [body.incidentId]);
    if (!exists) throw new NotFoundError(`No incident with id ${body.incidentId}.`);
    view = { incidentId: body.incidentId };
    source = { incidentId: body.incidentId };
  } else {
    const filters = parseFilters(body.filter!);
    const { from, to } = resolveWindow(filters, now);
    view = { filters, from, to };
    source = { filter: Object.fromEntries(Object.entries(body.filter!).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v])) };
  }
  const reasons = codesOf(...body.include);

  const picked = await runRead("redeployCandidates", { view, reasons, maxContacts }, { user: by.actor.id ?? undefined });
  const { doNotContact, alreadyRetried, noPhone, eligible, withoutPoll } = picked;
  const chosen: Chosen[] = picked.eligibleFirst.map((c) => {
    const { keys, line } = sessionKeysFor(c.user_session_keys, c.line, body.line);
    return { c, keys: JSON.stringify(keys), line, eta: etaFor(sendAt, c.reason, c.occurred_at, now) };
  });
  if (eligible > maxContacts) {
    throw new InvalidInputError(
      `${eligible} contacts would be re-deployed; a plan holds at most ${maxContacts} (REDEPLOY_MAX_CONTACTS). Narrow the view.`,
      [{ path: "filter", message: `more than ${maxContacts} contacts` }],
      "too_many_contacts",
    );
  }

  // Batches: one poll each (the poll is in the URL), at most MAX_USERS_PER_CALL users.
  const byPollContacts = new Map<string, Chosen[]>();
  for (const x of chosen) byPollContacts.set(x.c.poll_id!, [...(byPollContacts.get(x.c.poll_id!) ?? []), x]);
  const polls = [...byPollContacts.keys()].sort();
  const summary: PlanSummary = {
    byPoll: polls.map((pollId) => {
      const n = byPollContacts.get(pollId)!.length;
      return { pollId, contacts: n, batches: Math.ceil(n / MAX_USERS_PER_CALL) };
    }),
    byReason: sortedCounts(countBy(chosen, (x) => x.c.reason)).map(([reason, contacts]) => ({ reason, label: reasonLabel(reason), contacts })),
    byLine: sortedCounts(countBy(chosen, (x) => x.line)).map(([line, contacts]) => ({ line: line || null, contacts })),
    sample: chosen.slice(0, SAMPLE_SIZE).map(sampleOf),
    withoutPollSample: withoutPoll.slice(0, SAMPLE_SIZE).map(sampleOf),
  };
  const batches: Array<[seq: number, pollId: string, size: number]> = [];
  const contacts: ContactTuple[] = [];
  for (const pollId of polls) {
    const members = byPollContacts.get(pollId)!;
    for (let i = 0; i < members.length; i += MAX_USERS_PER_CALL) {
      const batch = members.slice(i, i + MAX_USERS_PER_CALL);
      const seq = batches.length + 1;
      batches.push([seq, pollId, batch.length]);
      for (const x of batch) contacts.push([x.c.contact, x.c.id, x.c.reason, pollId, x.c.country_code, x.c.cellphone, x.line, x.keys, x.eta, seq]);
    }
  }
  for (const c of withoutPoll) contacts.push([c.contact, c.id, c.reason, null, c.country_code, c.cellphone, c.line, "[]", null, null]);
  const from = "incidentId" in source ? `incident #${source.incidentId}` : `filter ${new URLSearchParams(source.filter).toString() || "(default view)"}`;

  return getEngine().transaction(async (tx) => {
    const plan = (await tx.one<{ id: number }>(
      `INSERT INTO redeploy_plans (status, source, include, send_at, line, contacts, without_poll, excluded_do_not_contact, excluded_already_retried,
         excluded_no_phone, summary, created_at, created_by, updated_at)
       VALUES ('draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        JSON.stringify(source),
        JSON.stringify(body.include),
        body.sendAt,
        body.line,
        chosen.length,
        withoutPoll.length,
        doNotContact,
        alreadyRetried,
        noPhone,
        JSON.stringify(summary),
        now,
        by.actor.email,
        now,
      ],
    ))!;
    // Every batch, and every contact, in one statement each (one JSON parameter, whatever the count).
    await tx.exec(
      `INSERT INTO redeploy_batches (plan_id, seq, poll_id, size)
       SELECT CAST(? AS bigint), c0, c1, c2 FROM (${tx.dialect.jsonTuples(["integer", "text", "integer"])}) AS b`,
      [plan.id, JSON.stringify(batches)],
    );
    await tx.exec(
      `INSERT INTO redeploy_contacts (plan_id, contact, failure_id, reason, poll_id, country_code, cellphone, line, session_keys, eta, batch_seq)
       SELECT CAST(? AS bigint), c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 FROM (${tx.dialect.jsonTuples(CONTACT_TYPES)}) AS c`,
      [plan.id, JSON.stringify(contacts)],
    );
    await appendAudit(tx, {
      actor: by.actor,
      action: "redeploy_plan_created",
      target: `plan #${plan.id}`,
      detail: `${chosen.length} contacts in ${batches.length} batches from ${from}; excluded ${doNotContact} do-not-contact, ${alreadyRetried} already retried; ${withoutPoll.length} without poll_id`,
      ip: by.ip,
      at: now,
    });
    return toPlanDetail(tx, (await findPlanRow(tx, plan.id))!);
  });
}
