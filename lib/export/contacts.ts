import type { Dialect } from "@/db/engine";
import { all, get, run, type Steps, type Value } from "@/db/steps";
import { InvalidInputError } from "@/lib/http/errors";
import { decodeSessionKeys } from "@/lib/ingest/compact-values";
import { EVERY_SCOPE } from "@/lib/ingest/contact-state";
import { labelsInSnapshot } from "@/lib/lines/labels";
import { and, rawConditions, unindexed } from "@/lib/queries/failure-filter";
import { DO_NOT_CONTACT_REASONS, reasonInfo, RETRY_REASONS } from "@/lib/reasons";
import { contactsFromState, countJudgedEach, judgedEach, judgingEachPays, latestFailureOf, listCandidates, neverDoNotContact } from "@/lib/queries/contact-state";
import { failureCounts } from "@/lib/queries/counts";
import { DEFAULT_EXACT_CONTACTS_LIMIT } from "@/lib/config";
import { keysetChunks, maxId, READ_CHUNK_ROWS, type Cell, type OpenedExport } from "./csv";
import { exportFilename, type ContactList, type ExportRequest } from "./options";

/**
 * Contact lists for re-deployment and suppression. A contact is its E.164 phone, else the
 * cellphone as sent (the same identity incidents count contacts by); failures without either
 * belong to no contact.
 *
 * - retry: one row per contact whose latest failure in the view (window + filters) is of class
 *   "retry later" or "fix then retry", and who has no "do not contact" failure at all (any time,
 *   any filter). Columns: RETRY_COLUMNS, then one per key of that latest failure's
 *   user_session_keys (the union of keys over the list, in order of first appearance), then line_label.
 * - suppress: one row per contact with a "do not contact" failure in the view; the row is its
 *   latest such failure (SUPPRESS_COLUMNS, then line_label).
 */
export const RETRY_COLUMNS = ["country_code", "cellphone", "phone_e164", "last_reason", "last_failed_at", "template", "line"] as const;
export const SUPPRESS_COLUMNS = ["country_code", "cellphone", "phone_e164", "reason", "reason_label", "failed_at", "template", "line"] as const;
/** More distinct session keys than this is not a list anyone re-deploys: narrow the filters. */
export const MAX_SESSION_KEY_COLUMNS = 200;
/** The line's name (PUT /api/lines/{line}/label), last in both lists, after any session keys. */
const LINE_LABEL_COLUMN = "line_label";

/** A failure's contact identity, on `failures f`. */
export const CONTACT = "coalesce(f.phone_e164, f.cellphone)";
const list = (codes: string[]) => codes.map(() => "?").join(", ");

/**
 * The suppression rule shared by the retry list and re-deployment plans: every contact with a "do
 * not contact" failure, at any time (bind DO_NOT_CONTACT_REASONS, then the highest failure id).
 */
export const DO_NOT_CONTACT_CONTACTS_SQL = `SELECT ${CONTACT} FROM failures f WHERE f.reason IN (${list(DO_NOT_CONTACT_REASONS)}) AND f.id <= ? AND ${CONTACT} IS NOT NULL`;

/** The list's columns from its rows' failures `l`; with `numbered`, each row's place in the file's order (`n`). */
const listColumns = (which: ContactList, numbered: boolean) =>
  `l.country_code, l.cellphone, l.phone_e164, l.reason, l.occurred_at, l.template, l.line${which === "retry" ? ", l.user_session_keys" : ""}${
    numbered ? ", row_number() OVER (ORDER BY l.occurred_at DESC, l.id DESC) AS n" : ""
  }`;

/**
 * The list's rows, one per contact, in the file's order: its latest failure (in the view, and of a
 * "do not contact" reason for the suppression list), newest first. With `numbered`, each row's
 * place in that order (`n`, from 1), by which the export reads the list back in chunks.
 */
export function listSelect(dialect: Dialect, which: ContactList, request: ExportRequest, upperId: number, numbered: boolean): { sql: string; params: Value[] } {
  const { filters, window } = request;
  const raw = rawConditions(filters, dialect);
  const inView = `f.occurred_at >= ? AND f.occurred_at < ? AND f.id <= ? AND ${CONTACT} IS NOT NULL AND ${and(raw.sql)}`;
  const latest = `row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS latest`;
  const columns = listColumns(which, numbered);
  const viewParams = [window.from, window.to, upperId, ...raw.params];
  if (which === "retry") {
    // The suppression rule (DO_NOT_CONTACT_CONTACTS_SQL) read from the per-contact state: a
    // primary-key lookup per listed contact instead of every "do not contact" failure ever.
    return {
      sql: `SELECT ${columns} FROM (SELECT f.*, ${CONTACT} AS contact, ${latest} FROM failures f WHERE ${inView}) AS l
            WHERE l.latest = 1 AND l.reason IN (${list(RETRY_REASONS)}) AND ${neverDoNotContact("l.contact")}`,
      params: [...viewParams, ...RETRY_REASONS, EVERY_SCOPE],
    };
  }
  // Under a filter, by the filter's index rather than every "do not contact" failure in the window
  // (failures_reason_idx): 0.1 ms against 3 s under a status at 10M on SQLite.
  const reason = raw.sql ? unindexed("f.reason", dialect) : "f.reason";
  return {
    sql: `SELECT ${columns} FROM (SELECT f.*, ${latest} FROM failures f WHERE ${inView} AND ${reason} IN (${list(DO_NOT_CONTACT_REASONS)})) AS l WHERE l.latest = 1`,
    params: [...viewParams, ...DO_NOT_CONTACT_REASONS],
  };
}

/**
 * listSelect (numbered) from the per-contact state where it answers the view (listCandidates): a
 * contact whose state time falls in the window has its latest failure in the view at that time
 * (an index seek by phone and time); one overtaken after the window's end is judged by its latest
 * failure in the window (an index range by phone). The row is that failure. The window function
 * over every failure of the window sorted them all: at 10M a 90-day retry list passed the read
 * deadline. Null where the state does not answer (listSelect then).
 */
export function* listSelectFromState(dialect: Dialect, which: ContactList, request: ExportRequest, upperId: number): Steps<{ sql: string; params: Value[] } | null> {
  const { filters, window } = request;
  const candidates = yield* listCandidates(dialect, filters, which, window.from, window.to);
  if (!candidates) return null;
  const raw = rawConditions(filters, dialect);
  const dnc = which === "suppress" ? ` AND f.reason IN (${list(DO_NOT_CONTACT_REASONS)})` : "";
  const inView = `f.occurred_at >= ? AND f.occurred_at < ? AND f.id <= ? AND ${and(raw.sql)}${dnc}`;
  const inViewParams = [window.from, window.to, upperId, ...raw.params, ...(which === "suppress" ? DO_NOT_CONTACT_REASONS : [])];
  // At the state time of a contact whose state answers; the latest in the window for an overtaken one.
  const inState = latestFailureOf(dialect, "c.contact", `f.occurred_at = c.at AND ${inView}`, "id");
  const overtaken = latestFailureOf(dialect, "c.contact", inView, "id");
  const columns = listColumns(which, true);
  return {
    sql: `SELECT ${columns} FROM (
            SELECT c.contact AS contact, ${inState} AS id FROM (${candidates.inState.sql}) AS c
            UNION ALL
            SELECT c.contact AS contact, ${overtaken} AS id FROM (${candidates.overtaken.sql}) AS c) AS judged
          JOIN failures l ON l.id = judged.id${which === "retry" ? ` WHERE l.reason IN (${list(RETRY_REASONS)}) AND ${neverDoNotContact("judged.contact")}` : ""}`,
    params: [
      ...inViewParams,
      ...inViewParams,
      ...candidates.inState.params,
      ...inViewParams,
      ...inViewParams,
      ...candidates.overtaken.params,
      ...(which === "retry" ? [...RETRY_REASONS, EVERY_SCOPE] : []),
    ],
  };
}

/**
 * The failures of the view the window function reads for the list (every failure of the view for
 * the retry list, its "do not contact" ones for the suppression list), and all of the view's.
 */
function* viewFailures(dialect: Dialect, which: ContactList, { filters, window }: ExportRequest): Steps<{ read: number; all: number }> {
  const reach: readonly string[] = which === "retry" ? RETRY_REASONS : DO_NOT_CONTACT_REASONS;
  let all = 0;
  let listed = 0;
  for (const { reason, n } of yield* failureCounts(dialect, filters, window.from, window.to, null)) {
    all += n;
    if (reach.includes(reason)) listed += n;
  }
  return { read: listed === 0 ? 0 : which === "retry" ? all : listed, all };
}

/** listSelect (numbered) from the list's contacts judged one by one (judgedEach; no phone search). */
export function listSelectJudgedEach(dialect: Dialect, which: ContactList, request: ExportRequest, upperId: number): { sql: string; params: Value[] } {
  const judged = judgedEach(dialect, request.filters, which, request.window.from, request.window.to, upperId, "id");
  return {
    // Materialised: PostgreSQL otherwise hashes every failure on the judging subquery, run twice per contact.
    sql: `WITH j AS MATERIALIZED (${judged.sql})
          SELECT ${listColumns(which, true)} FROM j JOIN failures l ON l.id = j.latest${which === "retry" ? ` WHERE l.reason IN (${list(RETRY_REASONS)})` : ""}`,
    params: [...judged.params, ...(which === "retry" ? RETRY_REASONS : [])],
  };
}

/**
 * The list's SQL (numbered): from the per-contact state where it answers the view, else from its
 * contacts judged one by one where that costs less than the window function, else the window function.
 */
function* chosenListSelect(dialect: Dialect, which: ContactList, request: ExportRequest, upperId: number): Steps<{ sql: string; params: Value[] }> {
  const fromState = yield* listSelectFromState(dialect, which, request, upperId);
  if (fromState) return fromState;
  const { read } = yield* viewFailures(dialect, which, request);
  if (yield* judgingEachPays(dialect, request.filters, which, request.window.from, request.window.to, read)) return listSelectJudgedEach(dialect, which, request, upperId);
  return listSelect(dialect, which, request, upperId, true);
}

/** The keys of user_session_keys as sent: an array of { key, value } or an object. */
export function sessionKeyValues(json: string | null): Map<string, Cell> {
  const values = new Map<string, Cell>();
  if (!json) return values;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return values;
  }
  const put = (key: unknown, value: unknown) => {
    if (typeof key !== "string" || key === "" || values.has(key)) return;
    values.set(key, value === null || value === undefined ? null : typeof value === "string" || typeof value === "number" ? value : JSON.stringify(value));
  };
  if (Array.isArray(parsed)) {
    for (const entry of parsed) if (entry && typeof entry === "object") put((entry as { key?: unknown }).key, (entry as { value?: unknown }).value);
  } else if (parsed && typeof parsed === "object") {
    for (const [key, value] of Object.entries(parsed)) put(key, value);
  }
  return values;
}

/** Rows of the list read per statement by the first pass (session keys only: small rows). */
const SESSION_KEY_CHUNK_ROWS = 5_000;

/** First pass over the materialised list: the union of session keys, in order of first appearance. */
function* sessionKeys(): Steps<string[]> {
  const keys = new Set<string>();
  for (let after = 0; ; ) {
    const rows = yield* all<{ n: number; user_session_keys: Buffer }>(
      `SELECT n, user_session_keys FROM contact_list WHERE n > ? AND user_session_keys IS NOT NULL ORDER BY n LIMIT ${SESSION_KEY_CHUNK_ROWS}`,
      [after],
    );
    for (const row of rows) {
      for (const key of sessionKeyValues(decodeSessionKeys(row.user_session_keys)).keys()) {
        keys.add(key);
        if (keys.size > MAX_SESSION_KEY_COLUMNS) {
          throw new InvalidInputError(
            `These contacts carry more than ${MAX_SESSION_KEY_COLUMNS} distinct user_session_keys; narrow the filters.`,
            [{ path: "filters", message: "too many distinct user_session_keys for one list" }],
            "too_many_columns",
          );
        }
      }
    }
    if (rows.length < SESSION_KEY_CHUNK_ROWS) return [...keys];
    after = rows.at(-1)!.n;
  }
}

interface Row {
  n: number;
  country_code: string | null;
  cellphone: string | null;
  phone_e164: string | null;
  reason: string;
  occurred_at: number;
  template: string;
  line: string;
  user_session_keys?: Buffer | null;
}

const iso = (t: number) => new Date(t).toISOString();

export type ContactExportArgs = {
  request: ExportRequest;
  list: ContactList;
  /** Failures up to which a quick count reads them (the server's EXACT_CONTACTS_LIMIT, as the contacts tile does). */
  countLimit?: number;
};

/**
 * How many rows a list holds; null when a quick count (`quick=1`, the overview's list buttons) would
 * have read more failures than the contacts tile counts exactly (EXACT_CONTACTS_LIMIT). A list the
 * per-contact state does not answer — under a status: incidents keep no per-contact state, and
 * "open" or "resolved" can hold most of a window's failures — is counted contact by contact where
 * that costs less (judgingEachPays), else from the failures, about 3 µs each at 10M on SQLite.
 * Either way a quick count past that limit would hold a heavy-read slot on every visit of the
 * overview (judging the 8,000 contacts of a suppression list at 10M: 0.12 s), so it is not made.
 * No proxy estimated such a list well (the status's share of the failures missed by 80% where its
 * contacts fail less often than the rest's).
 */
export interface ListCount {
  rows: number | null;
}

/**
 * Rows of the list: from the per-contact state when it answers the view (lib/queries/contact-state.ts),
 * else contact by contact or from the failures, whichever costs less (a quick count: unless the view
 * holds more than `countLimit` failures). A view without a failure of the list's reasons holds none.
 */
export function* contactExportCount(dialect: Dialect, { request, list: which, countLimit = DEFAULT_EXACT_CONTACTS_LIMIT }: ContactExportArgs): Steps<ListCount> {
  const { filters, window } = request;
  const fromState = yield* contactsFromState(dialect, filters, which, window.from, window.to);
  if (fromState !== null) return { rows: fromState };
  const { read, all: failures } = yield* viewFailures(dialect, which, request);
  if (read === 0) return { rows: 0 };
  if (request.quick && failures > countLimit) return { rows: null };
  if (yield* judgingEachPays(dialect, filters, which, window.from, window.to, read)) return { rows: yield* countJudgedEach(dialect, filters, which, window.from, window.to) };
  const select = listSelect(dialect, which, request, yield* maxId("failures"), false);
  return { rows: (yield* get<{ n: number }>(`SELECT count(*) AS n FROM (${select.sql}) AS list`, select.params))!.n };
}

/**
 * The list, materialised into a temporary table of the export's own connection (one session of
 * its own on either engine, ending with the export) in one statement: the database is read once,
 * briefly, and the slow part (sending) reads the temporary table in chunks of its order.
 */
export function* contactExport(dialect: Dialect, { request, list: which }: ContactExportArgs): Steps<OpenedExport> {
  const upperId = yield* maxId("failures");
  const select = yield* chosenListSelect(dialect, which, request, upperId);
  yield* run(`CREATE TEMP TABLE contact_list AS ${select.sql}`, select.params);
  yield* run("CREATE INDEX contact_list_n ON contact_list (n)", []);
  const keys = which === "retry" ? yield* sessionKeys() : [];
  const labels = yield* labelsInSnapshot();
  const chunkSql = `SELECT n, country_code, cellphone, phone_e164, reason, occurred_at, template, line${which === "retry" ? ", user_session_keys" : ""}
     FROM contact_list WHERE n > ? ORDER BY n LIMIT ${READ_CHUNK_ROWS}`;
  const toCells = (r: Row): Cell[] => {
    if (which === "suppress") return [r.country_code, r.cellphone, r.phone_e164, r.reason, reasonInfo(r.reason)?.label ?? r.reason, iso(r.occurred_at), r.template, r.line, labels.get(r.line)];
    const values = sessionKeyValues(decodeSessionKeys(r.user_session_keys ?? null));
    return [r.country_code, r.cellphone, r.phone_e164, r.reason, iso(r.occurred_at), r.template, r.line, ...keys.map((k) => values.get(k)), labels.get(r.line)];
  };
  // A session key named like a fixed column keeps its values apart under a prefixed name.
  const fixed: readonly string[] = [...(which === "retry" ? RETRY_COLUMNS : SUPPRESS_COLUMNS), LINE_LABEL_COLUMN];
  const columns = [...fixed.slice(0, -1), ...keys.map((k) => (fixed.includes(k) ? `user_session_keys.${k}` : k)), LINE_LABEL_COLUMN];
  return {
    filename: exportFilename(which === "retry" ? "retry-list" : "suppression-list", request.window, request.filters),
    columns,
    nextChunk: keysetChunks<Row, number>((n) => all<Row>(chunkSql, [n]), (r) => r.n, 0, toCells),
  };
}
