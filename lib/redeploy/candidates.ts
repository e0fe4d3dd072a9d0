import type Database from "better-sqlite3";
import { CONTACT, DO_NOT_CONTACT_CONTACTS_SQL } from "@/lib/export/contacts";
import { decodeSessionKeys } from "@/lib/ingest/compact-values";
import { DO_NOT_CONTACT_REASONS } from "@/lib/reasons";

/** A contact's latest failure in a plan's view, with what decides whether it may be sent. */
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
  dnc: number;
  retried: number;
}

type StoredCandidate = Omit<Candidate, "user_session_keys"> & { user_session_keys: Buffer | null };

export interface CandidatePick {
  /** The first `maxContacts + 1` eligible contacts, newest failure first (one more tells "too many"). */
  eligibleFirst: Candidate[];
  eligible: number;
  withoutPoll: Candidate[];
  doNotContact: number;
  alreadyRetried: number;
  noPhone: number;
}

/** Who a plan over `view` would hold: each contact's latest failure in the view, classified. A read (lib/read/reads.ts). */
export function pickCandidates(sqlite: Database.Database, a: { view: { sql: string; params: unknown[] }; reasons: string[]; maxContacts: number }): CandidatePick {
  const upperId = sqlite.prepare("SELECT coalesce(max(id), 0) FROM failures").pluck().get() as number;
  const candidates = sqlite
    .prepare(
      `SELECT l.*, l.contact IN (${DO_NOT_CONTACT_CONTACTS_SQL}) AS dnc,
         EXISTS (SELECT 1 FROM redeploy_retried r WHERE r.contact = l.contact AND r.poll_id = l.poll_id AND r.reason = l.reason) AS retried
       FROM (SELECT f.id, ${CONTACT} AS contact, f.reason, f.poll_id, f.country_code, f.cellphone, f.line, f.user_session_keys, f.occurred_at,
               row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS n
             FROM failures f WHERE ${a.view.sql} AND f.id <= ? AND ${CONTACT} IS NOT NULL) l
       WHERE l.n = 1 AND l.reason IN (${a.reasons.map(() => "?").join(", ")})
       ORDER BY l.occurred_at DESC, l.id DESC`,
    )
    .iterate(...DO_NOT_CONTACT_REASONS, upperId, ...a.view.params, upperId, ...a.reasons) as IterableIterator<StoredCandidate>;
  const pick: CandidatePick = { eligibleFirst: [], eligible: 0, withoutPoll: [], doNotContact: 0, alreadyRetried: 0, noPhone: 0 };
  for (const stored of candidates) {
    const c: Candidate = { ...stored, user_session_keys: decodeSessionKeys(stored.user_session_keys) };
    if (c.dnc) pick.doNotContact++;
    else if (!c.cellphone || !c.country_code) pick.noPhone++;
    else if (!c.poll_id) pick.withoutPoll.push(c);
    else if (c.retried) pick.alreadyRetried++;
    else if (++pick.eligible <= a.maxContacts + 1) pick.eligibleFirst.push(c);
  }
  return pick;
}
