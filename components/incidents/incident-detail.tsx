"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { RedeployLauncher } from "@/components/redeploy/redeploy-launcher";
import { SliceView } from "@/components/slice-view";
import { fetchJson } from "@/lib/api-client";
import { UNKNOWN } from "@/lib/filters";
import { canTake, INCIDENT_ACTION_NAMES, type IncidentAction } from "@/lib/incidents/transitions";
import type { IncidentDetail } from "@/lib/queries/incidents";
import { incidentQueryKey } from "@/lib/query-keys";
import { formatInTimeZone } from "@/lib/time/format";
import { IncidentStatus } from "./incident-badges";
import { ACTION_LABELS, INCIDENTS_REFRESH_MS } from "./incidents-table";
import { NoteDialog } from "./note-dialog";
import { useIncidentAction } from "./use-incident-action";

const SHORTCUTS: Record<string, IncidentAction> = { a: "acknowledge", r: "resolve", o: "reopen" };
const SHORTCUT_OF: Record<IncidentAction, string> = { acknowledge: "a", resolve: "r", reopen: "o" };

/** Keys typed into a form field are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/**
 * One incident: what its reason means and what to do, its actions (with keyboard shortcuts),
 * its activity log, and the trend and failures of exactly its (reason, line, template). Polls, so
 * a regression shows up without a reload.
 */
export function IncidentDetailView({ id, serverTz, canAct }: { id: number; serverTz: string; canAct: boolean }) {
  const { tz } = useFilters(serverTz);
  const incident = useQuery({
    queryKey: incidentQueryKey(id),
    queryFn: () => fetchJson<IncidentDetail>(`/api/incidents/${id}`),
    refetchInterval: INCIDENTS_REFRESH_MS,
    refetchIntervalInBackground: false,
  });
  const act = useIncidentAction();
  const [resolving, setResolving] = useState(false);
  const status = incident.data?.status;

  const run = (action: IncidentAction) => {
    if (!status || !canTake(action, status) || act.isPending) return;
    if (action === "resolve") setResolving(true);
    else act.mutate({ id, action });
  };

  useEffect(() => {
    if (!canAct) return;
    const onKey = (e: KeyboardEvent) => {
      if (resolving || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const action = SHORTCUTS[e.key];
      if (!action) return;
      e.preventDefault();
      run(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  if (incident.isPending) return <Skeleton height={200} label="Loading incident" />;
  if (incident.isError) return <QueryError error={incident.error} onRetry={() => void incident.refetch()} what="the incident" />;
  const d = incident.data;
  const time = (iso: string | null) => (iso ? formatInTimeZone(Date.parse(iso), tz, "full") : "—");

  return (
    <div data-testid="incident-detail">
      <h1 className="page-title">
        Incident #{d.id} <IncidentStatus incident={d} />
      </h1>
      {canAct && (
        <div className="actions" data-testid="incident-actions">
          {INCIDENT_ACTION_NAMES.map((action) => (
            <button key={action} type="button" className={canTake(action, d.status) ? "primary" : undefined} disabled={!canTake(action, d.status) || act.isPending} onClick={() => run(action)}>
              {ACTION_LABELS[action]}
              {action === "resolve" ? "…" : ""} <kbd>{SHORTCUT_OF[action]}</kbd>
            </button>
          ))}
          <RedeployLauncher source={{ incidentId: d.id }} />
          {act.isError && (
            <span className="error-inline" role="alert">
              {act.error.message}
            </span>
          )}
        </div>
      )}
      <div className="slice-summary">
        <section className="panel">
          <h2>
            {d.reasonLabel} <code>{d.reason}</code>
          </h2>
          <dl className="fields">
            <dt>Line</dt>
            <dd>{d.line ?? "unknown"}</dd>
            <dt>Template</dt>
            <dd>{d.template ?? "unknown"}</dd>
            <dt>Failures / contacts</dt>
            <dd>
              <span data-testid="incident-count">{d.count.toLocaleString("en-US")}</span> / {d.contacts.toLocaleString("en-US")}
            </dd>
            <dt>First / last seen ({tz})</dt>
            <dd>
              {time(d.firstSeen)} / {time(d.lastSeen)}
            </dd>
            {d.status === "acknowledged" && (
              <>
                <dt>New since acknowledged</dt>
                <dd data-testid="new-since-ack">{d.newSinceAck.toLocaleString("en-US")}</dd>
              </>
            )}
            <dt>Acknowledged</dt>
            <dd>{d.acknowledgedBy ? `${d.acknowledgedBy}, ${time(d.acknowledgedAt)}` : "—"}</dd>
            <dt>Resolved</dt>
            <dd>{d.resolvedBy ? `${d.resolvedBy}, ${time(d.resolvedAt)}` : "—"}</dd>
            <dt>Resolution note</dt>
            <dd data-testid="incident-note">{d.note ?? "—"}</dd>
            <dt>Times reopened</dt>
            <dd>{d.reopenedCount}</dd>
          </dl>
        </section>
        <section className="panel" data-testid="incident-reason">
          <h2>What it means</h2>
          <p>{d.meaning ?? "A reason outside Treble's documented list; check the raw payloads of its failures."}</p>
          <h2>What to do</h2>
          <p>{d.action ?? "Look at a few failures' raw payloads and ask Treble's support what the reason means."}</p>
        </section>
      </div>
      <section className="panel">
        <h2>Activity</h2>
        {d.activity.length === 0 ? (
          <p className="muted">Nothing yet: nobody has acted on it and it has not regressed.</p>
        ) : (
          <ol className="activity" data-testid="incident-activity">
            {d.activity.map((a) => (
              <li key={a.id} data-testid="activity-item">
                <span className="muted">{time(a.at)}</span> <strong>{a.action}</strong> by {a.actor ?? "Faultline"}
                {a.failureId !== null && <> (<Link href={`/failures/${a.failureId}`}>failure #{a.failureId}</Link>)</>}
                {a.note && <q>{a.note}</q>}
              </li>
            ))}
          </ol>
        )}
      </section>
      <SliceView serverTz={serverTz} fixed={{ reason: [d.reason], line: [d.line ?? UNKNOWN], template: [d.template ?? UNKNOWN], class: [], status: [] }} />
      {resolving && (
        <NoteDialog
          title={`Resolve incident #${d.id}`}
          confirmLabel="Resolve"
          busy={act.isPending}
          error={act.isError ? act.error.message : null}
          onCancel={() => setResolving(false)}
          onConfirm={(note) => act.mutate({ id, action: "resolve", note: note || undefined }, { onSuccess: () => setResolving(false) })}
        />
      )}
    </div>
  );
}
