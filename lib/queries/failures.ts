import type { Dialect } from "@/db/engine";
import { all, get, perDialect, type Steps, type Value } from "@/db/steps";
import type { IncidentStatus } from "@/lib/incidents/statuses";
import { resolveWindow, type Filters } from "@/lib/filters";
import { NotFoundError } from "@/lib/http/errors";
import { decodeDedupeKey, decodeSessionKeys } from "@/lib/ingest/compact-values";
import { DEPLOYMENT_FAILURE, readSessionId } from "@/lib/ingest/normalize";
import { decodePayload, type StoredPayload } from "@/lib/ingest/payload-codec";
import type { FailurePage, FailureSort } from "./failure-page";
import { reasonInfo, type ReasonClass } from "@/lib/reasons";
import { and, incidentsNarrowedTo, rawConditions, type Where } from "./failure-filter";
import { failureTotal } from "./counts";
import { decodeCursor, keysetPage } from "./cursor";

export interface FailureItem {
  id: number;
  eventId: string;
  occurredAt: string;
  receivedAt: string;
  reason: string;
  reasonLabel: string;
  reasonClass: ReasonClass | null;
  reasonKnown: boolean;
  line: string | null;
  template: string | null;
  countryCode: string | null;
  cellphone: string | null;
  phoneE164: string | null;
  pollId: string | null;
  deploymentId: string | null;
  batchId: string | null;
  incidentId: number;
  incidentStatus: IncidentStatus;
}

interface FailureRow {
  id: number;
  dedupe_key: Buffer;
  occurred_at: number;
  received_at: number;
  reason: string;
  reason_known: number;
  line: string;
  template: string;
  country_code: string | null;
  cellphone: string | null;
  phone_e164: string | null;
  poll_id: string | null;
  deployment_id: string | null;
  batch_id: string | null;
  incident_id: number;
  incident_status: IncidentStatus;
}

// The dedupe key and receipt time are the raw event's (\`r\`, one primary-key lookup per row shown).
const COLUMNS = `f.id, r.dedupe_key, f.occurred_at, r.received_at, f.reason, f.reason_known, f.line, f.template,
  f.country_code, f.cellphone, f.phone_e164, f.poll_id, f.deployment_id, f.batch_id, f.incident_id,
  i.status AS incident_status`;

function toItem(r: FailureRow): FailureItem {
  const info = reasonInfo(r.reason);
  return {
    id: r.id,
    eventId: decodeDedupeKey(r.dedupe_key),
    occurredAt: new Date(r.occurred_at).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    reason: r.reason,
    reasonLabel: info?.label ?? r.reason,
    reasonClass: info?.reasonClass ?? null,
    reasonKnown: r.reason_known === 1,
    line: r.line || null,
    template: r.template || null,
    countryCode: r.country_code,
    cellphone: r.cellphone,
    phoneE164: r.phone_e164,
    pollId: r.poll_id,
    deploymentId: r.deployment_id,
    batchId: r.batch_id,
    incidentId: r.incident_id,
    incidentStatus: r.incident_status,
  };
}

/** What each engine spells its own way in the page's statements. */
const SPELLING = perDialect((dialect) =>
  dialect.name === "sqlite"
    ? // SQLite keeps a CROSS JOIN's loop order; its text compares bytewise. It runs the IN's
      // subquery once per incident s (an index range each).
      {
        joinInOrder: "CROSS JOIN",
        byteOrder: (column: string) => column,
        firstRowsOfEachIncident: (rows: string) => `CROSS JOIN failures g ON g.id IN (SELECT f.id ${rows})`,
      }
    : // PostgreSQL refuses ON after CROSS JOIN and orders joins itself; "C" sorts text bytewise
      // too (the database's own collation may not), so pages and cursors agree with SQLite's.
      // It cannot turn that correlated IN into a join: it would walk every failure of the window
      // newest first, running the subquery per failure and incident; LATERAL runs it per incident.
      {
        joinInOrder: "JOIN",
        byteOrder: (column: string) => `${column} COLLATE "C"`,
        firstRowsOfEachIncident: (rows: string) => `CROSS JOIN LATERAL (SELECT f.id, f.occurred_at ${rows}) g`,
      },
);

/** Sort column per sort key; rows are always tie-broken by (occurred_at, id) in the same direction. */
const SORT_COLUMN: Record<Exclude<FailureSort, "time">, string> = {
  reason: "f.reason",
  line: "f.line",
  template: "f.template",
};

/** A cursor's key has the shape of the sort: [time, id], or [column value, time, id]. */
const validCursorFor = (sort: FailureSort) => (key: unknown[]) =>
  sort === "time"
    ? key.length === 2 && key.every(Number.isSafeInteger)
    : key.length === 3 && typeof key[0] === "string" && Number.isSafeInteger(key[1]) && Number.isSafeInteger(key[2]);

export interface FailureList {
  items: FailureItem[];
  nextCursor: string | null;
  total: number;
}

/**
 * One page of failures, keyset-paginated (no OFFSET): the cursor holds the sort key of the last
 * row, so every page is an index range scan whatever its depth.
 */
export function* listFailures(dialect: Dialect, filters: Filters, page: FailurePage, now = Date.now()): Steps<FailureList> {
  const { from, to } = resolveWindow(filters, now);
  const raw = rawConditions(filters, dialect);
  const { joinInOrder, byteOrder } = SPELLING(dialect);
  const desc = page.dir === "desc";
  const cmp = desc ? "<" : ">";
  const order = desc ? "DESC" : "ASC";
  let conditions = ["f.occurred_at >= ?", "f.occurred_at < ?", and(raw.sql)];
  // The event times the page can hold, both ends included (a cursor moves one of them).
  let span: [number, number] = [from, to - 1];
  let params: Value[] = [from, to, ...raw.params];
  let orderBy: string;
  if (page.sort === "time") {
    orderBy = `f.occurred_at ${order}, f.id ${order}`;
    if (page.cursor) {
      const [t, id] = decodeCursor<[number, number]>(page.cursor, validCursorFor("time"));
      // The cursor's time replaces the window edge it lies inside, so the index scan starts at
      // the cursor (SQLite uses one bound per side); the row value breaks ties on equal times.
      conditions = desc ? ["f.occurred_at >= ?", "f.occurred_at <= ?"] : ["f.occurred_at >= ?", "f.occurred_at < ?"];
      params = desc ? [from, Math.min(t, to - 1)] : [Math.max(t, from), to];
      span = desc ? [from, Math.min(t, to - 1)] : [Math.max(t, from), to - 1];
      conditions.push(and(raw.sql), `(f.occurred_at, f.id) ${cmp} (?, ?)`);
      params.push(...raw.params, t, id);
    }
  } else {
    const col = byteOrder(SORT_COLUMN[page.sort]);
    orderBy = `${col} ${order}, f.occurred_at ${order}, f.id ${order}`;
    if (page.cursor) {
      const [v, t, id] = decodeCursor<[string, number, number]>(page.cursor, validCursorFor(page.sort));
      conditions.push(`${col} ${cmp}= ?`, `(${col}, f.occurred_at, f.id) ${cmp} (?, ?, ?)`);
      params.push(v, v, t, id);
    }
  }
  const where = conditions.join(" AND ");
  const incidents = page.sort === "time" ? incidentsNarrowedTo(filters) : null;
  // The page's ids come from failures alone; only those rows then join their incident and raw event
  // (joinInOrder: SQLite keeps that loop order rather than scanning failures for the page's ids).
  const pageIds = incidents
    ? {
        sql: `SELECT s.value AS id FROM ${dialect.jsonArrayValues("integer")} AS s`,
        params: [JSON.stringify(yield* pageIdsByIncident(dialect, incidents, { sql: where, params }, desc, page.limit + 1, span))],
      }
    : { sql: `SELECT f.id FROM failures f WHERE ${where} ORDER BY ${orderBy} LIMIT ?`, params: [...params, page.limit + 1] };
  const rows = yield* all<FailureRow>(
    `SELECT ${COLUMNS} FROM (${pageIds.sql}) p ${joinInOrder} failures f ON f.id = p.id ${joinInOrder} incidents i ON i.id = f.incident_id
     ${joinInOrder} raw_events r ON r.id = f.raw_event_id ORDER BY ${orderBy}`,
    pageIds.params,
  );
  const { rows: pageRows, nextCursor } = keysetPage(rows, page.limit, (last) =>
    page.sort === "time" ? [last.occurred_at, last.id] : [page.sort === "reason" ? last.reason : page.sort === "line" ? last.line : last.template, last.occurred_at, last.id],
  );
  return { items: pageRows.map(toItem), nextCursor, total: yield* failureTotal(dialect, filters, from, to) };
}

/** Incidents read per statement of pageIdsByIncident at first; each further batch doubles. */
const FIRST_INCIDENT_BATCH = 8;

/**
 * The first `count` ids in time order (newest first when `desc`) of the failures `where` admits,
 * among the incidents `incidents` selects, whose event times lie in `span` (both ends included):
 * each incident's first rows in that order (an index range each), merged — never a sort of every
 * failure those incidents had in the window. Incidents are visited by how far into the page's
 * order their failures reach (an incident's last_seen bounds them from above, its first_seen from
 * below: ingest keeps the greatest and least event time, lib/incidents/at-ingest.ts), in doubling
 * batches, until the next could not reach the page: at 10M under "resolved" (542 incidents over 90
 * days) the first page needs 32 of them.
 */
function* pageIdsByIncident(dialect: Dialect, incidents: Where, where: Where, desc: boolean, count: number, [low, high]: [number, number]): Steps<number[]> {
  const order = desc ? "DESC" : "ASC";
  // An incident's reach: the first time in page order it may have a failure at.
  const candidates = yield* all<{ id: number; reach: number }>(
    `SELECT n.id AS id, n.${desc ? "last_seen" : "first_seen"} AS reach FROM incidents n
     WHERE n.id IN (${incidents.sql}) AND n.last_seen >= ? AND n.first_seen <= ? ORDER BY 2 ${order}, 1`,
    [...incidents.params, low, high],
  );
  type Row = { id: number; occurred_at: number };
  const inPageOrder = (a: Row, b: Row) => (desc ? b.occurred_at - a.occurred_at || b.id - a.id : a.occurred_at - b.occurred_at || a.id - b.id);
  const orderBy = `f.occurred_at ${order}, f.id ${order}`;
  let page: Row[] = [];
  for (let next = 0, batch = FIRST_INCIDENT_BATCH; next < candidates.length; next += batch, batch *= 2) {
    // Once the page is full, an incident whose failures all lie beyond its last row adds nothing,
    // and the others only their rows up to that row's time (deep in the window, where most
    // incidents reach the cursor alike, a few rows each rather than a page each).
    const last = page.length === count ? page[count - 1]!.occurred_at : null;
    if (last !== null && (desc ? candidates[next]!.reach < last : candidates[next]!.reach > last)) break;
    const upToLast = last === null ? { sql: "", params: [] } : { sql: ` AND f.occurred_at ${desc ? ">=" : "<="} ?`, params: [last] };
    const ids = candidates.slice(next, next + batch).map((c) => c.id);
    const rows = yield* all<Row>(
      `WITH s(id) AS ${dialect.jsonArrayValues("integer")}
       SELECT g.id AS id, g.occurred_at AS occurred_at FROM s ${SPELLING(dialect).firstRowsOfEachIncident(
         `FROM failures f WHERE f.incident_id = s.id AND ${where.sql}${upToLast.sql} ORDER BY ${orderBy} LIMIT ?`,
       )}
       ORDER BY g.occurred_at ${order}, g.id ${order} LIMIT ?`,
      [JSON.stringify(ids), ...where.params, ...upToLast.params, count, count],
    );
    page = [...page, ...rows].sort(inPageOrder).slice(0, count);
  }
  return page.map((r) => r.id);
}

export interface FailureDetail extends FailureItem {
  occurredAtFromReceipt: boolean;
  /** Clock skew: the event time as sent, when it lay over 10 minutes after receipt (`occurredAt` is then the receipt time); else null. */
  sentOccurredAt: string | null;
  eventType: string;
  /** Read from the payload (not stored apart). */
  sessionId: string | null;
  userSessionKeys: unknown;
  /** The event's JSON exactly as received. */
  rawPayload: string;
  meaning: string | null;
  action: string | null;
}

/** One failure with its raw payload and what its reason means. */
export function* getFailure(id: number): Steps<FailureDetail> {
  const row = yield* get<FailureRow & { user_session_keys: Buffer | null; payload: StoredPayload; payload_codec: number; occurred_at_from_receipt: number; sent_occurred_at: number | null }>(
    `SELECT ${COLUMNS}, f.user_session_keys, r.payload, r.payload_codec, r.occurred_at_from_receipt, r.sent_occurred_at
     FROM failures f JOIN incidents i ON i.id = f.incident_id JOIN raw_events r ON r.id = f.raw_event_id
     WHERE f.id = ?`,
    [id],
  );
  if (!row) throw new NotFoundError(`No failure with id ${id}.`);
  const info = reasonInfo(row.reason);
  const rawPayload = decodePayload(row.payload, row.payload_codec, decodeDedupeKey(row.dedupe_key));
  return {
    ...toItem(row),
    occurredAtFromReceipt: row.occurred_at_from_receipt === 1,
    sentOccurredAt: row.sent_occurred_at === null ? null : new Date(row.sent_occurred_at).toISOString(),
    eventType: DEPLOYMENT_FAILURE,
    sessionId: readSessionId(JSON.parse(rawPayload)),
    userSessionKeys: row.user_session_keys ? JSON.parse(decodeSessionKeys(row.user_session_keys)) : null,
    rawPayload,
    meaning: info?.meaning ?? null,
    action: info?.action ?? null,
  };
}
