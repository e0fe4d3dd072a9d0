import type { Dialect } from "@/db/engine";
import { all, get, type Steps, type Value } from "@/db/steps";
import { resolveWindow, UNKNOWN, type Filters } from "@/lib/filters";
import { decodeCursor, keysetPage } from "./cursor";
import type { KeysetPage } from "./page";

export interface ClosedSession {
  id: number;
  externalId: string | null;
  closedAt: string;
  receivedAt: string;
  line: string | null;
  template: string | null;
  countryCode: string | null;
  cellphone: string | null;
  phoneE164: string | null;
  messageCount: number | null;
}

export interface ClosedSessionPage {
  items: ClosedSession[];
  nextCursor: string | null;
  total: number;
}

interface Row {
  id: number;
  external_id: string | null;
  closed_at: number;
  received_at: number;
  line: string;
  template: string;
  country_code: string | null;
  cellphone: string | null;
  phone_e164: string | null;
  message_count: number | null;
}

/** `(unknown)` in a line/template filter selects sessions without one (stored as ""). */
const keys = (values: string[]) => values.map((v) => (v === UNKNOWN ? "" : v));

/**
 * Sessions closed (`session.close` events) in the filters' window, on its lines and templates,
 * newest first, keyset-paginated. The other filters (reason, class, status, phone) describe
 * failures and do not apply to sessions. A read (lib/read/reads.ts).
 */
export function* closedSessions(dialect: Dialect, filters: Filters, page: KeysetPage, now: number): Steps<ClosedSessionPage> {
  const { limit, cursor } = page;
  const { from, to } = resolveWindow(filters, now);
  const where = ["closed_at >= ?", "closed_at < ?"];
  const params: Value[] = [from, to];
  if (filters.line.length) {
    where.push(`line IN ${dialect.jsonArrayValues("text")}`);
    params.push(JSON.stringify(keys(filters.line)));
  }
  if (filters.template.length) {
    where.push(`template IN ${dialect.jsonArrayValues("text")}`);
    params.push(JSON.stringify(keys(filters.template)));
  }
  const total = (yield* get<{ n: number }>(`SELECT count(*) AS n FROM closed_sessions WHERE ${where.join(" AND ")}`, params))!.n;
  if (cursor) {
    const [t, id] = decodeCursor<[number, number]>(cursor, (key) => key.length === 2 && key.every(Number.isSafeInteger));
    where.push("(closed_at, id) < (?, ?)");
    params.push(t, id);
  }
  const rows = yield* all<Row>(
    `SELECT id, external_id, closed_at, received_at, line, template, country_code, cellphone, phone_e164, message_count FROM closed_sessions
     WHERE ${where.join(" AND ")} ORDER BY closed_at DESC, id DESC LIMIT ?`,
    [...params, limit + 1],
  );
  const { rows: pageRows, nextCursor } = keysetPage(rows, limit, (last) => [last.closed_at, last.id]);
  const items = pageRows.map((r) => ({
    id: r.id,
    externalId: r.external_id,
    closedAt: new Date(r.closed_at).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    line: r.line || null,
    template: r.template || null,
    countryCode: r.country_code,
    cellphone: r.cellphone,
    phoneE164: r.phone_e164,
    messageCount: r.message_count,
  }));
  return { items, nextCursor, total };
}
