import type Database from "better-sqlite3";
import { contactExport, countContactExport } from "@/lib/export/contacts";
import { countFailureExport, failureExport } from "@/lib/export/failures";
import { countIncidentExport, incidentExport } from "@/lib/export/incidents";
import type { ContactList, ExportRequest } from "@/lib/export/options";
import type { RowSource } from "@/lib/export/csv";
import type { Filters } from "@/lib/filters";
import type { Dialect } from "@/db/engine";
import type { Steps } from "@/db/steps";
import { labelFacets, labelStats } from "@/lib/lines/labels";
import { facetCounts } from "@/lib/queries/facets";
import type { FailurePage } from "@/lib/queries/failure-page";
import { getFailure, listFailures } from "@/lib/queries/failures";
import type { IncidentPage } from "@/lib/queries/incident-page";
import type { KeysetPage } from "@/lib/queries/page";
import { getIncident, listIncidents, matchingIncidentIds } from "@/lib/queries/incidents";
import { stats, type StatsOptions } from "@/lib/queries/stats";
import { hasReceivedEvents, highestFailureId } from "@/lib/queries/summary";
import { countQuarantined, listQuarantined } from "@/lib/queries/quarantine";
import { listClosedSessions } from "@/lib/queries/sessions";
import { getTemplateStatusHistory, getUnavailableTemplates } from "@/lib/queries/templates";
import { pickCandidates } from "@/lib/redeploy/candidates";

/**
 * Every read the dashboard makes, by name, written once for both engines: (dialect, arguments) →
 * the read's statements (db/steps.ts), run in one snapshot. On SQLite a read worker
 * (lib/read/worker.ts) runs them on its own read-only connection, never on the thread that answers
 * webhooks; on PostgreSQL the read path's own pool does (lib/read/engine-reads.ts). Arguments and
 * results cross threads by structured clone: plain data only.
 * To add a read, add one line here (and to LIGHT_READS in heavy-reads.ts when it reads a handful
 * of rows by key).
 */
export const READS = {
  stats: function* (d: Dialect, a: { filters: Filters; options?: StatsOptions }) {
    return yield* labelStats(yield* stats(d, a.filters, a.options));
  },
  facets: function* (d: Dialect, a: { filters: Filters }) {
    return yield* labelFacets(yield* facetCounts(d, a.filters, Date.now()));
  },
  latestFailureId: () => highestFailureId(),
  failures: (d: Dialect, a: { filters: Filters; page: FailurePage }) => listFailures(d, a.filters, a.page),
  failure: (_d: Dialect, a: { id: number }) => getFailure(a.id),
  incidents: (d: Dialect, a: { filters: Filters; page: IncidentPage; viewerId: string | null }) => listIncidents(d, a.filters, a.page, a.viewerId),
  incident: (_d: Dialect, a: { id: unknown }) => getIncident(a.id),
  matchingIncidentIds: (d: Dialect, a: { filters: Filters; now: number; viewerId: string | null }) => matchingIncidentIds(d, a.filters, a.now, a.viewerId),
} satisfies Record<string, (dialect: Dialect, args: never) => Steps<unknown>>;

/** Reads still written for SQLite's connection alone (moving into READS); refused on PostgreSQL. */
export const SQLITE_READS = {
  templateStatusHistory: (db: Database.Database, a: { template: string }) => getTemplateStatusHistory(db, a.template),
  unavailableTemplates: (db: Database.Database) => getUnavailableTemplates(db),
  closedSessions: (db: Database.Database, a: { filters: Filters; page: KeysetPage; now: number }) => listClosedSessions(db, a.filters, a.page, a.now),
  quarantineCount: (db: Database.Database) => countQuarantined(db),
  quarantined: (db: Database.Database, a: { page: KeysetPage }) => listQuarantined(db, a.page),
  redeployCandidates: (db: Database.Database, a: { view: { sql: string; params: unknown[] }; reasons: string[]; maxContacts: number }) => pickCandidates(db, a),
  hasReceivedEvents: (db: Database.Database) => hasReceivedEvents(db),
  failureExportCount: (db: Database.Database, a: { request: ExportRequest }) => countFailureExport(db, a.request),
  incidentExportCount: (db: Database.Database, a: { request: ExportRequest; viewerId: string | null }) => countIncidentExport(db, a.request, a.viewerId),
  contactExportCount: (db: Database.Database, a: { request: ExportRequest; list: ContactList }) => countContactExport(db, a.list, a.request),
} satisfies Record<string, (db: Database.Database, args: never) => unknown>;

type Reads = typeof READS;
type SqliteReads = typeof SQLITE_READS;
export type ReadName = keyof Reads | keyof SqliteReads;
export type ReadArgs<N extends ReadName> = N extends keyof Reads
  ? Parameters<Reads[N]> extends [Dialect, infer A]
    ? A
    : undefined
  : N extends keyof SqliteReads
    ? Parameters<SqliteReads[N]> extends [Database.Database, infer A]
      ? A
      : undefined
    : never;
export type ReadResult<N extends ReadName> = N extends keyof Reads
  ? ReturnType<Reads[N]> extends Steps<infer T>
    ? T
    : never
  : N extends keyof SqliteReads
    ? ReturnType<SqliteReads[N]>
    : never;

/** CSV downloads, streamed from a worker of their own (see streamExport in pool.ts). */
export const EXPORTS = {
  failures: (db: Database.Database, a: { request: ExportRequest }) => failureExport(db, a.request),
  incidents: (db: Database.Database, a: { request: ExportRequest; viewerId: string | null }) => incidentExport(db, a.request, a.viewerId),
  contacts: (db: Database.Database, a: { request: ExportRequest; list: ContactList }) => contactExport(db, a.list, a.request),
} satisfies Record<string, (db: Database.Database, args: never) => { filename: string; source: RowSource }>;

export type ExportName = keyof typeof EXPORTS;
export type ExportArgs<N extends ExportName> = Parameters<(typeof EXPORTS)[N]>[1];
