import { contactExport, contactExportCount, type ContactExportArgs } from "@/lib/export/contacts";
import { failureExport, failureExportCount } from "@/lib/export/failures";
import { incidentExport, incidentExportCount } from "@/lib/export/incidents";
import type { OpenedExport } from "@/lib/export/csv";
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
import { contactsCounted, stats, type StatsOptions } from "@/lib/queries/stats";
import { getSettings } from "@/lib/config";
import { hasReceivedEvents, highestFailureId } from "@/lib/queries/summary";
import { quarantineCount, quarantined } from "@/lib/queries/quarantine";
import { closedSessions } from "@/lib/queries/sessions";
import { templateStatusHistory, unavailableTemplates } from "@/lib/queries/templates";
import { pickCandidates, type PlanView } from "@/lib/redeploy/candidates";

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
    return yield* labelStats(yield* stats(d, a.filters, { exactContactsLimit: exactContactsLimit(), ...a.options }));
  },
  contactCount: (d: Dialect, a: { filters: Filters }) => contactsCounted(d, a.filters, { exactContactsLimit: exactContactsLimit() }),
  facets: function* (d: Dialect, a: { filters: Filters }) {
    return yield* labelFacets(yield* facetCounts(d, a.filters, Date.now()));
  },
  latestFailureId: () => highestFailureId(),
  hasReceivedEvents: () => hasReceivedEvents(),
  closedSessions: (d: Dialect, a: { filters: Filters; page: KeysetPage; now: number }) => closedSessions(d, a.filters, a.page, a.now),
  templateStatusHistory: (_d: Dialect, a: { template: string }) => templateStatusHistory(a.template),
  unavailableTemplates: (d: Dialect) => unavailableTemplates(d),
  quarantineCount: () => quarantineCount(),
  quarantined: (_d: Dialect, a: { page: KeysetPage }) => quarantined(a.page),
  redeployCandidates: (d: Dialect, a: { view: PlanView; reasons: string[]; maxContacts: number }) => pickCandidates(d, a),
  failureExportCount,
  incidentExportCount,
  contactExportCount: (d: Dialect, a: ContactExportArgs) => contactExportCount(d, { countLimit: exactContactsLimit(), ...a }),
  failures: (d: Dialect, a: { filters: Filters; page: FailurePage }) => listFailures(d, a.filters, a.page),
  failure: (_d: Dialect, a: { id: number }) => getFailure(a.id),
  incidents: (d: Dialect, a: { filters: Filters; page: IncidentPage; viewerId: string | null }) => listIncidents(d, a.filters, a.page, a.viewerId),
  incident: (_d: Dialect, a: { id: unknown }) => getIncident(a.id),
  matchingIncidentIds: (d: Dialect, a: { filters: Filters; now: number; viewerId: string | null }) => matchingIncidentIds(d, a.filters, a.now, a.viewerId),
} satisfies Record<string, (dialect: Dialect, args: never) => Steps<unknown>>;

/** The server's EXACT_CONTACTS_LIMIT: how many failures a refresh reads to count contacts exactly. */
function exactContactsLimit(): number {
  return getSettings().EXACT_CONTACTS_LIMIT;
}

type Reads = typeof READS;
export type ReadName = keyof Reads;
export type ReadArgs<N extends ReadName> = Parameters<Reads[N]> extends [Dialect, infer A] ? A : undefined;
export type ReadResult<N extends ReadName> = ReturnType<Reads[N]> extends Steps<infer T> ? T : never;

/**
 * CSV downloads, written once for both engines: opening steps run in one snapshot, answering the
 * file's header and its chunk reader; streamed from a worker thread of their own on either engine
 * (see streamExport in pool.ts).
 */
export const EXPORTS = {
  failures: failureExport,
  incidents: incidentExport,
  contacts: contactExport,
} satisfies Record<string, (dialect: Dialect, args: never) => Steps<OpenedExport>>;

export type ExportName = keyof typeof EXPORTS;
export type ExportArgs<N extends ExportName> = Parameters<(typeof EXPORTS)[N]>[1];
