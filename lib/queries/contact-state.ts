import type Database from "better-sqlite3";
import { UNKNOWN, type Filters } from "@/lib/filters";
import { contactScope, EVERY_SCOPE } from "@/lib/ingest/contact-state";
import { DO_NOT_CONTACT_REASONS, RETRY_REASONS } from "@/lib/reasons";
import { HOUR_MS } from "@/lib/time/zoned";
import { and, rawConditions } from "./failure-filter";

/**
 * Contact counts from the per-contact latest state kept at ingest (lib/ingest/contact-state.ts):
 * the hourly counts for the window's whole hours, and for the partial hour at either edge the
 * contacts of that hour's failures whose state falls in it (a PK lookup each).
 *
 * Exact for windows that end after the latest stored failure — the presets, which end now —
 * under no filter, one line, one template, or one line with one template. A window ending in
 * the past, or other filters, is counted from the failures as before (null here).
 */

/** What is counted: contacts seen in the window, the retry list, the suppression list. */
export type ContactCount = "seen" | "retry" | "suppress";

const list = (codes: readonly string[]) => codes.map(() => "?").join(", ");

/** The stored scope that answers these filters, or null when none does. */
function scopeOf(filters: Filters): string | null {
  if (filters.reason.length || filters.class.length || filters.status.length || filters.q) return null;
  if (filters.line.length > 1 || filters.template.length > 1) return null;
  const key = (v: string | undefined) => (v === undefined ? null : v === UNKNOWN ? "" : v);
  return contactScope(key(filters.line[0]), key(filters.template[0]));
}

/** Whether no failure occurred at or after `to` (then a contact's latest failure is its latest in the window). */
function endsAfterLatestFailure(sqlite: Database.Database, to: number): boolean {
  const latest = sqlite.prepare(`SELECT max(occurred_at) FROM failures`).pluck().get() as number | null;
  return latest === null || latest < to;
}

/** Contacts of one kind whose state time falls in [a, b) (within one hour), via that span's failures. */
function countEdge(sqlite: Database.Database, filters: Filters, scope: string, kind: ContactCount, a: number, b: number): number {
  const raw = rawConditions(filters);
  const dnc = kind === "suppress";
  const at = dnc ? "s.last_dnc_at" : "s.last_at";
  const retry =
    kind === "retry"
      ? `AND s.last_reason IN (${list(RETRY_REASONS)})
         AND NOT EXISTS (SELECT 1 FROM contact_state g WHERE g.contact = s.contact AND g.scope = ? AND g.last_dnc_at IS NOT NULL)`
      : "";
  return sqlite
    .prepare(
      `SELECT count(*) FROM contact_state s
       WHERE s.contact IN (SELECT coalesce(f.phone_e164, f.cellphone) FROM failures f
                           WHERE f.occurred_at >= ? AND f.occurred_at < ? AND ${and(raw.sql)}${dnc ? ` AND f.reason IN (${list(DO_NOT_CONTACT_REASONS)})` : ""})
         AND s.scope = ? AND ${at} >= ? AND ${at} < ? ${retry}`,
    )
    .pluck()
    .get(a, b, ...raw.params, ...(dnc ? DO_NOT_CONTACT_REASONS : []), scope, a, b, ...(kind === "retry" ? [...RETRY_REASONS, EVERY_SCOPE] : [])) as number;
}

/**
 * Contacts with a failure in [from, to) under the filters ("seen"), on the retry list, or on the
 * suppression list (README, "CSV export"), from the contact state; null when it cannot answer
 * exactly (see above), and the caller counts from the failures.
 */
export function countContactsFromState(sqlite: Database.Database, filters: Filters, kind: ContactCount, from: number, to: number): number | null {
  const scope = scopeOf(filters);
  if (scope === null) return null;
  // One snapshot: a commit between the statements could move a contact from a counted hour to an edge.
  return sqlite.transaction(() => countInSnapshot(sqlite, filters, scope, kind, from, to))();
}

function countInSnapshot(sqlite: Database.Database, filters: Filters, scope: string, kind: ContactCount, from: number, to: number): number | null {
  if (!endsAfterLatestFailure(sqlite, to)) return null;
  const firstHour = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const lastHour = Math.floor(to / HOUR_MS) * HOUR_MS;
  if (firstHour >= lastHour) return from < to ? countEdge(sqlite, filters, scope, kind, from, to) : 0;
  const column = kind === "suppress" ? "dnc" : kind;
  const whole = sqlite
    .prepare(`SELECT coalesce(sum(${column}), 0) FROM contact_state_hours WHERE scope = ? AND bucket >= ? AND bucket < ?`)
    .pluck()
    .get(scope, firstHour, lastHour) as number;
  const head = from < firstHour ? countEdge(sqlite, filters, scope, kind, from, firstHour) : 0;
  const tail = lastHour < to ? countEdge(sqlite, filters, scope, kind, lastHour, to) : 0;
  return whole + head + tail;
}
