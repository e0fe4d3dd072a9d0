import type Database from "better-sqlite3";
import { InvalidInputError } from "@/lib/http/errors";
import { decodeSessionKeys } from "@/lib/ingest/compact-values";
import { EVERY_SCOPE } from "@/lib/ingest/contact-state";
import { readLineLabels } from "@/lib/lines/labels";
import { and, rawConditions } from "@/lib/queries/failure-filter";
import { DO_NOT_CONTACT_REASONS, reasonInfo, RETRY_REASONS } from "@/lib/reasons";
import { countContactsFromState, neverDoNotContact } from "@/lib/queries/contact-state";
import { chunkedRows, maxId, READ_CHUNK_ROWS, type Cell, type RowSource } from "./csv";
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

/**
 * Materialises the list into a temporary table of the export's own connection, in one statement:
 * the database is read once, briefly, and the slow part (sending) reads the temporary table.
 */
function materialise(sqlite: Database.Database, which: ContactList, request: ExportRequest): void {
  // One snapshot: the failures read and the per-contact state consulted agree.
  sqlite.transaction(() => materialiseInSnapshot(sqlite, which, request))();
}

function materialiseInSnapshot(sqlite: Database.Database, which: ContactList, request: ExportRequest): void {
  const { filters, window } = request;
  const upperId = maxId(sqlite, "failures");
  const raw = rawConditions(filters);
  const inView = `f.occurred_at >= ? AND f.occurred_at < ? AND f.id <= ? AND ${CONTACT} IS NOT NULL AND ${and(raw.sql)}`;
  const viewParams = [window.from, window.to, upperId, ...raw.params];
  if (which === "retry") {
    // The suppression rule (DO_NOT_CONTACT_CONTACTS_SQL) read from the per-contact state: a
    // primary-key lookup per listed contact instead of every "do not contact" failure ever.
    sqlite
      .prepare(
        `CREATE TEMP TABLE contact_list AS
         SELECT l.country_code, l.cellphone, l.phone_e164, l.reason, l.occurred_at, l.template, l.line, l.user_session_keys FROM (
           SELECT f.*, ${CONTACT} AS contact, row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS n
           FROM failures f WHERE ${inView}) l
         WHERE l.n = 1 AND l.reason IN (${list(RETRY_REASONS)})
           AND ${neverDoNotContact("l.contact")}
         ORDER BY l.occurred_at DESC`,
      )
      .run(...viewParams, ...RETRY_REASONS, EVERY_SCOPE);
  } else {
    sqlite
      .prepare(
        `CREATE TEMP TABLE contact_list AS
         SELECT country_code, cellphone, phone_e164, reason, occurred_at, template, line FROM (
           SELECT f.*, row_number() OVER (PARTITION BY ${CONTACT} ORDER BY f.occurred_at DESC, f.id DESC) AS n
           FROM failures f WHERE ${inView} AND f.reason IN (${list(DO_NOT_CONTACT_REASONS)}))
         WHERE n = 1 ORDER BY occurred_at DESC`,
      )
      .run(...viewParams, ...DO_NOT_CONTACT_REASONS);
  }
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

/** First pass over the list: the union of session keys, in order of first appearance. */
function sessionKeys(sqlite: Database.Database): string[] {
  const keys = new Set<string>();
  for (const json of sqlite.prepare("SELECT user_session_keys FROM contact_list WHERE user_session_keys IS NOT NULL").pluck().iterate()) {
    for (const key of sessionKeyValues(decodeSessionKeys(json as Buffer)).keys()) {
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
  return [...keys];
}

type Row = [rowid: number, countryCode: string | null, cellphone: string | null, phoneE164: string | null, reason: string, occurredAt: number, template: string, line: string, sessionKeys?: Buffer | null];

const iso = (t: number) => new Date(t).toISOString();

/** Drops the list's temporary table: the connection outlives the export (a pooled read worker's). */
function dropList(sqlite: Database.Database): void {
  sqlite.exec("DROP TABLE IF EXISTS temp.contact_list");
}

/** Rows of the list: from the per-contact state when it answers the view (lib/queries/contact-state.ts), else from the failures. */
export function countContactExport(sqlite: Database.Database, which: ContactList, request: ExportRequest): number {
  const fromState = countContactsFromState(sqlite, request.filters, which, request.window.from, request.window.to);
  if (fromState !== null) return fromState;
  try {
    materialise(sqlite, which, request);
    return sqlite.prepare("SELECT count(*) FROM contact_list").pluck().get() as number;
  } finally {
    dropList(sqlite);
  }
}

export function contactExport(sqlite: Database.Database, which: ContactList, request: ExportRequest): { filename: string; source: RowSource } {
  try {
    materialise(sqlite, which, request);
    const keys = which === "retry" ? sessionKeys(sqlite) : [];
    const labels = readLineLabels(sqlite);
    const chunk = sqlite
      .prepare(
        `SELECT rowid, country_code, cellphone, phone_e164, reason, occurred_at, template, line${which === "retry" ? ", user_session_keys" : ""}
         FROM contact_list WHERE rowid > ? ORDER BY rowid LIMIT ${READ_CHUNK_ROWS}`,
      )
      .raw(true);
    const toCells = (r: Row): Cell[] => {
      if (which === "suppress") return [r[1], r[2], r[3], r[4], reasonInfo(r[4])?.label ?? r[4], iso(r[5]), r[6], r[7], labels.get(r[7])];
      const values = sessionKeyValues(decodeSessionKeys(r[8] ?? null));
      return [r[1], r[2], r[3], r[4], iso(r[5]), r[6], r[7], ...keys.map((k) => values.get(k)), labels.get(r[7])];
    };
    // A session key named like a fixed column keeps its values apart under a prefixed name.
    const fixed: readonly string[] = [...(which === "retry" ? RETRY_COLUMNS : SUPPRESS_COLUMNS), LINE_LABEL_COLUMN];
    const columns = [...fixed.slice(0, -1), ...keys.map((k) => (fixed.includes(k) ? `user_session_keys.${k}` : k)), LINE_LABEL_COLUMN];
    const chunks = chunkedRows<Row, number>((rowid) => chunk.all(rowid) as Row[], (r) => r[0], 0, toCells);
    return {
      filename: exportFilename(which === "retry" ? "retry-list" : "suppression-list", request.window, request.filters),
      source: { columns, chunks, close: () => dropList(sqlite) },
    };
  } catch (err) {
    dropList(sqlite);
    throw err;
  }
}
