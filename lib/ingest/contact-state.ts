import type { Dialect } from "@/db/engine";
import { all, inKeyOrder, insertRowsStatement, perDialect, rowWrites, runTogether, type Steps, type Value, type Write } from "@/db/steps";
import { reasonInfo, type KnownReason, type ReasonClass } from "@/lib/reasons";
import { LACKING_COLUMNS, lackedDigits } from "@/lib/phone-grams";
import { QUARTER_HOUR_MS } from "@/lib/time/zoned";

/**
 * Per-contact latest state, kept in the ingest transaction (db/schema.ts: contact_state and
 * contact_state_quarters), so that "contacts with a failure since T", the retry list and the
 * suppression list are counted from a few thousand quarter-hour rows instead of the window's failures.
 *
 * A contact is its E.164 phone, else the cellphone as sent. Each contact has one row per scope it
 * failed in: everything, its line, its template, its line × template, and (for a known reason)
 * its reason and the reason's class. A row holds the latest
 * failure of the contact in that scope (time and reason; ties go to the later stored failure, as
 * the lists order them) and the time of its latest "do not contact" failure there. The quarter-hour
 * rows count, per scope and quarter: contacts whose latest failure is in that quarter ("seen"),
 * those of them on the retry list (latest reason "retry later" or "fix then retry", and no "do not
 * contact" failure in any scope), and contacts whose latest "do not contact" failure is in it.
 * When a contact's latest failure moves from one quarter to another, the first loses it and the
 * second gains it, so a sum over the quarters since T is exact. In the scope of every failure the
 * same moves count, per digit, the list contacts whose own number lacks it
 * (contact_lacking_quarters), which a one-digit phone search's list counts subtract.
 */

/** A scope as stored: `[line, template]` as JSON, null for "any". SQL backfills write json_array(line, template). */
export function contactScope(line: string | null, template: string | null): string {
  return JSON.stringify([line, template]);
}

/** The scope of every failure of a contact (its "do not contact" time is the retry list's rule). */
export const EVERY_SCOPE = contactScope(null, null);

/**
 * Reasons and classes as stored in scopes: "r" or "c" and a number, not the code. There is a row
 * per contact and scope, so every byte of a scope costs about 0.05 bytes per failure at 10M
 * (README, "Storage"). Never renumber: a new reason takes the next free number.
 */
const REASON_SCOPE_IDS: Record<KnownReason, number> = {
  FAILURE: 0,
  FAILURE_BY_HUMAN_HANDOVER: 1,
  REVOKED: 2,
  INVALID_PHONE: 3,
  FAILURE_BY_RATE_LIMIT: 4,
  COMPANY_RATE_LIMIT: 5,
  FAILURE_BY_TIER_CAPACITY: 6,
  MISSING_PARAMETER: 7,
  PARAMETER_MISMATCH: 8,
  FAILURE_BY_BLOCKED_CONTACT: 9,
  FAILURE_BY_OPTOUT_CONTACT: 10,
  INVALID_POLL: 11,
  CHARACTER_LIMIT_HEADER: 12,
  CHARACTER_LIMIT_BODY: 13,
  FAILURE_BY_DISABLED_HSM: 14,
  FAILURE_BY_SPAM_RATE_LIMIT: 15,
  FAILURE_BY_EXPERIMENT_NUMBER: 16,
  FAILURE_BY_UNABLE_TO_CONTACT: 17,
};
const CLASS_SCOPE_IDS: Record<ReasonClass, number> = { retry_later: 0, fix_then_retry: 1, do_not_contact: 2, no_action: 3 };

/** The scope of a contact's failures of one known reason. */
export const reasonScope = (code: KnownReason) => `r${REASON_SCOPE_IDS[code]}`;
/** The scope of a contact's failures of one reason class. */
export const classScope = (reasonClass: ReasonClass) => `c${CLASS_SCOPE_IDS[reasonClass]}`;

/** The scopes a failure counts in: four by line and template, and its reason's two when Treble's catalogue knows it. */
function scopesOf(reason: string, line: string, template: string): string[] {
  const scopes = [EVERY_SCOPE, contactScope(line, null), contactScope(null, template), contactScope(line, template)];
  const known = reasonInfo(reason);
  if (known) scopes.push(reasonScope(known.code as KnownReason), classScope(known.reasonClass));
  return scopes;
}

const quarterOf = (t: number) => t - (t % QUARTER_HOUR_MS);

export const isRetryReason = (reason: string) => {
  const reasonClass = reasonInfo(reason)?.reasonClass;
  return reasonClass === "retry_later" || reasonClass === "fix_then_retry";
};
export const isDoNotContactReason = (reason: string) => reasonInfo(reason)?.reasonClass === "do_not_contact";

interface ScopeState {
  lastAt: number;
  lastReason: string;
  lastDncAt: number | null;
}

interface ContactStates {
  /** As stored before this transaction (the scopes read so far). */
  before: Map<string, ScopeState>;
  /** As it will be stored at flush. */
  after: Map<string, ScopeState>;
  /** Scopes already read, or "all" once every scope of the contact was. */
  read: Set<string> | "all";
}

interface QuarterDelta {
  scope: string;
  bucket: number;
  seen: number;
  retry: number;
  dnc: number;
}

const SQL = perDialect((d: Dialect) => ({
  /**
   * PostgreSQL: other instances' transactions wait for this one to commit before they read the
   * contact's state (a transaction-scoped advisory lock covers rows that do not exist yet, which
   * FOR UPDATE cannot). SQLite's write transaction holds the whole database already.
   */
  lockContact: d.name === "postgres" ? `SELECT pg_advisory_xact_lock(${CONTACT_LOCK_SPACE}, hashtext(?))` : null,
  // Every contact of a group in one statement each, in the order given (the callers': key order).
  lockContacts: d.name === "postgres" ? `SELECT pg_advisory_xact_lock(${CONTACT_LOCK_SPACE}, hashtext(given.value)) FROM ${d.jsonArrayValues("text")} AS given` : null,
  readAllOf: `SELECT contact, scope, last_at AS "lastAt", last_reason AS "lastReason", last_dnc_at AS "lastDncAt" FROM contact_state WHERE contact IN ${d.jsonArrayValues("text")}`,
  // A failure's scopes (scopesOf): six, or four repeated up to six for an unknown reason.
  readScopes: `SELECT scope, last_at AS "lastAt", last_reason AS "lastReason", last_dnc_at AS "lastDncAt" FROM contact_state WHERE contact = ? AND scope IN (?, ?, ?, ?, ?, ?)`,
  readAll: `SELECT scope, last_at AS "lastAt", last_reason AS "lastReason", last_dnc_at AS "lastDncAt" FROM contact_state WHERE contact = ?`,
  // One row per (contact, scope): a transaction's changed rows in one statement.
  save: insertRowsStatement(
    d,
    "contact_state",
    [
      ["contact", "text"],
      ["scope", "text"],
      ["last_at", "integer"],
      ["last_reason", "text"],
      ["last_dnc_at", "integer"],
    ],
    "ON CONFLICT (contact, scope) DO UPDATE SET last_at = excluded.last_at, last_reason = excluded.last_reason, last_dnc_at = excluded.last_dnc_at",
  ),
  forget: `DELETE FROM contact_state WHERE contact = ? AND scope = ?`,
  addToQuarter: `INSERT INTO contact_state_quarters (scope, bucket, seen, retry, dnc) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (scope, bucket) DO UPDATE SET seen = contact_state_quarters.seen + excluded.seen,
      retry = contact_state_quarters.retry + excluded.retry, dnc = contact_state_quarters.dnc + excluded.dnc`,
  addToLacking: `INSERT INTO contact_lacking_quarters (bucket, ${LACKING_COLUMNS.join(", ")}) VALUES (?, ${LACKING_COLUMNS.map(() => "?").join(", ")})
    ON CONFLICT (bucket) DO UPDATE SET ${LACKING_COLUMNS.map((c) => `${c} = contact_lacking_quarters.${c} + excluded.${c}`).join(", ")}`,
}));

/** Placeholders of readScopes: the most scopes one failure counts in. */
const SCOPES_READ = 6;

/** The first key of PostgreSQL's two-key advisory locks taken on contacts (the second: the contact's hash). */
export const CONTACT_LOCK_SPACE = 16_004;

const sameState = (a: ScopeState | undefined, b: ScopeState | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.lastAt === b.lastAt && a.lastReason === b.lastReason && a.lastDncAt === b.lastDncAt);

/**
 * The contacts one transaction touches: read at first sight, changed in memory failure by
 * failure, written once (rows and quarter-hour counts) at flush. Ingest and re-processing count
 * failures into it; the retention purge forgets what it deleted.
 */
export class ContactStateChanges {
  private readonly contacts = new Map<string, ContactStates>();
  private readonly locked = new Set<string>();
  private readonly sql: ReturnType<typeof SQL>;

  constructor(private readonly dialect: Dialect) {
    this.sql = SQL(dialect);
  }

  /** Makes other instances wait for this transaction before they read `contact` (PostgreSQL); once per contact. */
  *lock(contact: string): Steps<void> {
    if (!this.sql.lockContact || this.locked.has(contact)) return;
    yield* all(this.sql.lockContact, [contact]);
    this.locked.add(contact);
  }

  /**
   * Locks `contacts` (PostgreSQL; in the order given) and reads every scope of theirs, one statement
   * each for the lot, ahead of the failures that will count into them.
   */
  *readAhead(contacts: readonly string[]): Steps<void> {
    const fresh = contacts.filter((contact) => !this.contacts.has(contact));
    if (!fresh.length) return;
    const list = JSON.stringify(fresh);
    if (this.sql.lockContacts) yield* all(this.sql.lockContacts, [list]);
    const states = new Map(fresh.map((contact): [string, ContactStates] => [contact, { before: new Map(), after: new Map(), read: "all" }]));
    for (const { contact, scope, ...state } of yield* all<ScopeState & { contact: string; scope: string }>(this.sql.readAllOf, [list])) {
      states.get(contact)!.before.set(scope, state);
      states.get(contact)!.after.set(scope, { ...state });
    }
    for (const [contact, state] of states) {
      this.contacts.set(contact, state);
      this.locked.add(contact);
    }
  }

  /**
   * The contact's state in `scopes` (read once per transaction), or in all its scopes: only a
   * change of its "do not contact" status touches scopes other than the failure's own.
   */
  private *of(contact: string, scopes: readonly string[] | "all"): Steps<ContactStates> {
    let states = this.contacts.get(contact);
    if (!states) {
      yield* this.lock(contact);
      states = { before: new Map(), after: new Map(), read: new Set() };
      this.contacts.set(contact, states);
    }
    const { read } = states;
    if (read === "all" || (scopes !== "all" && scopes.every((scope) => read.has(scope)))) return states;
    type Row = ScopeState & { scope: string };
    const rows =
      scopes === "all"
        ? yield* all<Row>(this.sql.readAll, [contact])
        : yield* all<Row>(this.sql.readScopes, [contact, ...Array.from({ length: SCOPES_READ }, (_, i) => scopes[i] ?? scopes[0]!)]);
    // A scope read before keeps its changes; a stored scope not read yet joins as stored.
    for (const { scope, ...state } of rows) {
      if (states.before.has(scope)) continue;
      states.before.set(scope, state);
      states.after.set(scope, { ...state });
    }
    if (scopes === "all") states.read = "all";
    else for (const scope of scopes) read.add(scope);
    return states;
  }

  /** A failure just stored (its id is above every earlier one, so it wins ties on time). */
  *count(contact: string, occurredAt: number, reason: string, line: string, template: string): Steps<void> {
    const scopes = scopesOf(reason, line, template);
    const dnc = isDoNotContactReason(reason);
    let { after } = yield* this.of(contact, scopes);
    // Its first "do not contact" failure takes the contact off the retry list in every scope.
    if (dnc && (after.get(EVERY_SCOPE)?.lastDncAt ?? null) === null) after = (yield* this.of(contact, "all")).after;
    for (const scope of scopes) {
      const state = after.get(scope);
      if (!state) {
        after.set(scope, { lastAt: occurredAt, lastReason: reason, lastDncAt: dnc ? occurredAt : null });
        continue;
      }
      if (occurredAt >= state.lastAt) {
        state.lastAt = occurredAt;
        state.lastReason = reason;
      }
      if (dnc && (state.lastDncAt === null || occurredAt > state.lastDncAt)) state.lastDncAt = occurredAt;
    }
  }

  /**
   * The retention purge deletes every failure before `cutoff` (a contact's failures go in
   * several purge batches; this runs for each): scopes whose latest failure is older are
   * forgotten, and so are "do not contact" times older than it.
   */
  *forgetBefore(contact: string, cutoff: number): Steps<void> {
    const { after } = yield* this.of(contact, "all");
    for (const [scope, state] of after) {
      if (state.lastAt < cutoff) after.delete(scope);
      else if (state.lastDncAt !== null && state.lastDncAt < cutoff) state.lastDncAt = null;
    }
  }

  /** Writes changed rows and the quarter-hour counts they move; once, inside the transaction. */
  *flush(): Steps<void> {
    yield* runTogether(this.dialect, this.writes());
  }

  /** `flush`'s writes, for a caller that runs them together with its own. */
  writes(): Write[] {
    const deltas = new Map<string, QuarterDelta>();
    // contact_lacking_quarters: per quarter, retry's ten digits then dnc's (LACKING_COLUMNS' order).
    const lacking = new Map<number, Int32Array>();
    const add = (contact: string, scope: string, at: number, sign: number, kind: { seen: boolean; retry: boolean; dnc: boolean }) => {
      const bucket = quarterOf(at);
      const key = `${bucket}|${scope}`;
      let delta = deltas.get(key);
      if (!delta) deltas.set(key, (delta = { scope, bucket, seen: 0, retry: 0, dnc: 0 }));
      if (kind.seen) delta.seen += sign;
      if (kind.retry) delta.retry += sign;
      if (kind.dnc) delta.dnc += sign;
      if (scope !== EVERY_SCOPE || !(kind.retry || kind.dnc)) return;
      let counts = lacking.get(bucket);
      if (!counts) lacking.set(bucket, (counts = new Int32Array(LACKING_COLUMNS.length)));
      for (const digit of lackedDigits(contact)) counts[kind.retry ? digit : 10 + digit]! += sign;
    };
    const count = (contact: string, scope: string, state: ScopeState | undefined, neverDnc: boolean, sign: number) => {
      if (!state) return;
      add(contact, scope, state.lastAt, sign, { seen: true, retry: neverDnc && isRetryReason(state.lastReason), dnc: false });
      if (state.lastDncAt !== null) add(contact, scope, state.lastDncAt, sign, { seen: false, retry: false, dnc: true });
    };
    const saved: Value[][] = [];
    const forgotten: Write[] = [];
    for (const [contact, { before, after }] of this.contacts) {
      const neverDncBefore = (before.get(EVERY_SCOPE)?.lastDncAt ?? null) === null;
      const neverDncAfter = (after.get(EVERY_SCOPE)?.lastDncAt ?? null) === null;
      for (const scope of new Set([...before.keys(), ...after.keys()])) {
        const [was, is] = [before.get(scope), after.get(scope)];
        const changed = !sameState(was, is);
        if (!changed && neverDncBefore === neverDncAfter) continue;
        count(contact, scope, was, neverDncBefore, -1);
        count(contact, scope, is, neverDncAfter, 1);
        if (!changed) continue;
        if (is) saved.push([contact, scope, is.lastAt, is.lastReason, is.lastDncAt]);
        else forgotten.push([this.sql.forget, [contact, scope]]);
      }
    }
    const quarters = inKeyOrder(deltas).filter((d) => d.seen || d.retry || d.dnc);
    const lackingRows = [...lacking].filter(([, counts]) => counts.some((n) => n !== 0)).sort(([a], [b]) => a - b);
    return [
      ...forgotten,
      ...rowWrites(this.sql.save, saved),
      ...quarters.map((d): Write => [this.sql.addToQuarter, [d.scope, d.bucket, d.seen, d.retry, d.dnc]]),
      ...lackingRows.map(([bucket, counts]): Write => [this.sql.addToLacking, [bucket, ...counts]]),
    ];
  }
}
