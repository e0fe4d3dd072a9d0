import type { Dialect } from "@/db/engine";
import { all, type Steps, type Value } from "@/db/steps";
import { CONTACT, DO_NOT_CONTACT_CONTACTS_SQL } from "@/lib/export/contacts";
import type { Filters } from "@/lib/filters";
import { decodeSessionKeys } from "@/lib/ingest/compact-values";
import { and, rawConditions, type Where } from "@/lib/queries/failure-filter";
import { highestFailureId } from "@/lib/queries/summary";
import { DO_NOT_CONTACT_REASONS } from "@/lib/reasons";

/** A contact's latest failure in a plan's view, as the plan would hold it. */
export interface Candidate {
  id: number;
  contact: string;
  reason: string;
  poll_id: string | null;
  country_code: string | null;
  cellphone: string | null;
  line: string;
  user_session_keys: string | null;
  occurred_at: number;
}

/** The failures a plan is made from: an incident's, or those a filter selects in a window. */
export type PlanView = { incidentId: number } | { filters: Filters; from: number; to: number };

export interface CandidatePick {
  /** The first `maxContacts + 1` eligible contacts, newest failure first (one more tells "too many"). */
  eligibleFirst: Candidate[];
  eligible: number;
  withoutPoll: Candidate[];
  doNotContact: number;
  alreadyRetried: number;
  noPhone: number;
}

/** What decides whether a candidate may be sent, first rule first. */
type Kind = "do_not_contact" | "no_phone" | "without_poll" | "already_retried" | "eligible";

type StoredCandidate = Omit<Candidate, "user_session_keys"> & { user_session_keys: Buffer | null; kind: Kind; of_kind: number };

function viewConditions(view: PlanView, dialect: Dialect): Where {
  if ("incidentId" in view) return { sql: "f.incident_id = ?", params: [view.incidentId] };
  const raw = rawConditions(view.filters, dialect);
  return { sql: and("f.occurred_at >= ? AND f.occurred_at < ?", raw.sql), params: [view.from, view.to, ...raw.params] };
}

/**
 * Each contact's latest failure in the view (bind the view's parameters and the highest failure
 * id) of one of the reasons asked (bind them), classified, with how many are of its kind. Only the
 * rows a plan holds come back (the first `?` eligible ones and every one without a poll_id) and
 * the first of each other kind, which carries its count: a view of many contacts is counted in
 * the database, not carried row by row to the server.
 */
const candidatesSql = (view: string, reasons: number) => `
    WITH latest AS (
      SELECT f.id, ${CONTACT} AS contact, f.reason, f.poll_id, f.country_code, f.cellphone, f.line, f.user_session_keys, f.occurred_at,
             row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS n
      FROM failures f WHERE ${view} AND f.id <= ? AND ${CONTACT} IS NOT NULL),
    classified AS (
      SELECT l.*, CASE
          WHEN l.contact IN (${DO_NOT_CONTACT_CONTACTS_SQL}) THEN 'do_not_contact'
          WHEN coalesce(l.cellphone, '') = '' OR coalesce(l.country_code, '') = '' THEN 'no_phone'
          WHEN coalesce(l.poll_id, '') = '' THEN 'without_poll'
          WHEN EXISTS (SELECT 1 FROM redeploy_retried r WHERE r.contact = l.contact AND r.poll_id = l.poll_id AND r.reason = l.reason) THEN 'already_retried'
          ELSE 'eligible' END AS kind
      FROM latest l WHERE l.n = 1 AND l.reason IN (${Array.from({ length: reasons }, () => "?").join(", ")})),
    ranked AS (
      SELECT c.*, count(*) OVER (PARTITION BY kind) AS of_kind,
             row_number() OVER (PARTITION BY kind ORDER BY occurred_at DESC, id DESC) AS place
      FROM classified c)
    SELECT id, contact, reason, poll_id, country_code, cellphone, line, user_session_keys, occurred_at, kind, of_kind FROM ranked
    WHERE place = 1 OR kind = 'without_poll' OR (kind = 'eligible' AND place <= ?)
    ORDER BY occurred_at DESC, id DESC`;

/** Who a plan over `view` would hold: each contact's latest failure in the view, classified. A read (lib/read/reads.ts). */
export function* pickCandidates(dialect: Dialect, a: { view: PlanView; reasons: string[]; maxContacts: number }): Steps<CandidatePick> {
  const upperId = yield* highestFailureId();
  const view = viewConditions(a.view, dialect);
  const params: Value[] = [...view.params, upperId, ...DO_NOT_CONTACT_REASONS, upperId, ...a.reasons, a.maxContacts + 1];
  const rows = yield* all<StoredCandidate>(candidatesSql(view.sql, a.reasons.length), params);
  const counts: Record<Kind, number> = { do_not_contact: 0, no_phone: 0, without_poll: 0, already_retried: 0, eligible: 0 };
  const eligibleFirst: Candidate[] = [];
  const withoutPoll: Candidate[] = [];
  for (const { kind, of_kind, user_session_keys, ...stored } of rows) {
    counts[kind] = of_kind;
    const candidate = () => ({ ...stored, user_session_keys: decodeSessionKeys(user_session_keys) });
    if (kind === "eligible") eligibleFirst.push(candidate());
    else if (kind === "without_poll") withoutPoll.push(candidate());
  }
  return {
    eligibleFirst,
    eligible: counts.eligible,
    withoutPoll,
    doNotContact: counts.do_not_contact,
    alreadyRetried: counts.already_retried,
    noPhone: counts.no_phone,
  };
}
