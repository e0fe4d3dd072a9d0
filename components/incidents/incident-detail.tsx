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
import type { IncidentActivityItem, IncidentDetail } from "@/lib/queries/incidents";
import { incidentQueryKey } from "@/lib/query-keys";
import { formatInTimeZone } from "@/lib/time/format";
import { IncidentStatus } from "./incident-badges";
import { ACTION_LABELS, INCIDENTS_REFRESH_MS } from "./incidents-table";
import { NoteDialog } from "./note-dialog";
import { DEFAULT_SNOOZE, describeSnooze, SnoozeChoice, snoozeBody, type SnoozeChoiceState } from "./snooze-choice";
import { useAssign, useAssignees, useComment, useIncidentAction } from "./use-incident-action";
import { LineName } from "@/components/line-name";

const SHORTCUT_OF: Record<IncidentAction, string> = { acknowledge: "a", resolve: "r", reopen: "o", snooze: "s", unsnooze: "u", ignore: "i" };
const SHORTCUTS = Object.fromEntries(Object.entries(SHORTCUT_OF).map(([action, key]) => [key, action as IncidentAction]));
/** Actions that open a dialog (a note, or what wakes the snooze) before they are taken. */
const WITH_DIALOG: ReadonlySet<IncidentAction> = new Set(["resolve", "snooze"]);

/** How each activity entry reads ("<action> by <actor>"). */
const ACTIVITY_LABELS: Record<IncidentActivityItem["action"], string> = {
  acknowledged: "acknowledged",
  resolved: "resolved",
  reopened: "reopened",
  snoozed: "snoozed",
  unsnoozed: "unsnoozed",
  ignored: "ignored",
  regressed: "regressed",
  auto_resolved: "auto-resolved",
  assigned: "assigned",
  unassigned: "unassigned",
  commented: "commented",
  escalating: "started escalating",
  escalation_ended: "stopped escalating",
};

/** Keys typed into a form field are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/**
 * One incident: what its reason means and what to do, its actions (with keyboard shortcuts:
 * a acknowledge, r resolve, o reopen, s snooze, u unsnooze, i ignore, m assign to me), its
 * assignee, comments and activity log, and the trend and failures of exactly its (reason, line,
 * template). Polls, so a regression, a wake-up or an escalation shows up without a reload.
 */
export function IncidentDetailView({ id, serverTz, canAct, currentUserId }: { id: number; serverTz: string; canAct: boolean; currentUserId: string }) {
  const { tz } = useFilters(serverTz);
  const incident = useQuery({
    queryKey: incidentQueryKey(id),
    queryFn: () => fetchJson<IncidentDetail>(`/api/incidents/${id}`),
    refetchInterval: INCIDENTS_REFRESH_MS,
    refetchIntervalInBackground: false,
  });
  const act = useIncidentAction();
  const assign = useAssign();
  const comment = useComment();
  const assignees = useAssignees();
  const [dialog, setDialog] = useState<"resolve" | "snooze" | null>(null);
  const [snooze, setSnooze] = useState<SnoozeChoiceState>(DEFAULT_SNOOZE);
  const [commentText, setCommentText] = useState("");
  const status = incident.data?.status;
  const busy = act.isPending || assign.isPending;

  const run = (action: IncidentAction) => {
    if (!status || !canTake(action, status) || busy) return;
    if (action === "resolve" || action === "snooze") setDialog(action);
    else act.mutate({ id, action });
  };
  const assignToMe = () => {
    if (!busy && incident.data?.assignee?.id !== currentUserId) assign.mutate({ id, userId: currentUserId });
  };

  useEffect(() => {
    if (!canAct) return;
    const onKey = (e: KeyboardEvent) => {
      if (dialog || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (e.key === "m") {
        e.preventDefault();
        assignToMe();
        return;
      }
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
  const error = [act, assign].find((m) => m.isError)?.error;
  const snoozeRequest = snoozeBody(snooze);

  return (
    <div data-testid="incident-detail">
      <h1 className="page-title">
        Incident #{d.id} <IncidentStatus incident={d} />
      </h1>
      {canAct && (
        <div className="actions" data-testid="incident-actions">
          {INCIDENT_ACTION_NAMES.map((action) => (
            <button
              key={action}
              type="button"
              className={canTake(action, d.status) ? "primary" : undefined}
              disabled={!canTake(action, d.status) || busy}
              onClick={() => run(action)}
              data-testid={`action-${action}`}
            >
              {ACTION_LABELS[action]}
              {WITH_DIALOG.has(action) ? "…" : ""} <kbd>{SHORTCUT_OF[action]}</kbd>
            </button>
          ))}
          <RedeployLauncher source={{ incidentId: d.id }} />
          <button type="button" onClick={assignToMe} disabled={busy || d.assignee?.id === currentUserId} data-testid="assign-to-me">
            Assign to me <kbd>m</kbd>
          </button>
          <label>
            <span className="sr-only">Assignee</span>
            <select
              aria-label="Assignee"
              data-testid="assignee-select"
              value={d.assignee?.id ?? ""}
              disabled={busy}
              onChange={(e) => assign.mutate({ id, userId: e.target.value || null })}
            >
              <option value="">Unassigned</option>
              {d.assignee && !assignees.data?.some((u) => u.id === d.assignee?.id) && <option value={d.assignee.id}>{d.assignee.email}</option>}
              {assignees.data?.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          </label>
          {error && (
            <span className="error-inline" role="alert">
              {error.message}
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
            <dd>
              <LineName line={d.line} />
            </dd>
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
            <dt>Assignee</dt>
            <dd data-testid="incident-assignee">{d.assignee ? `${d.assignee.name} <${d.assignee.email}>` : "—"}</dd>
            {d.snooze && (
              <>
                <dt>Snoozed</dt>
                <dd data-testid="incident-snooze">{describeSnooze(d.snooze, (iso) => time(iso))}</dd>
              </>
            )}
            {d.escalating && (
              <>
                <dt>Escalating since</dt>
                <dd>{time(d.escalatingSince)}</dd>
              </>
            )}
            {d.status === "acknowledged" && (
              <>
                <dt>New since acknowledged</dt>
                <dd data-testid="new-since-ack">{d.newSinceAck.toLocaleString("en-US")}</dd>
              </>
            )}
            <dt>Acknowledged</dt>
            <dd>{d.acknowledgedBy ? `${d.acknowledgedBy}, ${time(d.acknowledgedAt)}` : "—"}</dd>
            <dt>Resolved</dt>
            <dd>{d.resolvedAt ? `${d.resolvedBy ?? "Faultline (auto-resolve)"}, ${time(d.resolvedAt)}` : "—"}</dd>
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
          <p className="muted">Nothing yet: nobody has acted on it or commented, and it has not changed by itself.</p>
        ) : (
          <ol className="activity" data-testid="incident-activity">
            {d.activity.map((a) => (
              <li key={a.id} data-testid="activity-item">
                <span className="muted">{time(a.at)}</span> <strong>{ACTIVITY_LABELS[a.action] ?? a.action}</strong> by {a.actor ?? "Faultline"}
                {a.failureId !== null && <> (<Link href={`/failures/${a.failureId}`}>failure #{a.failureId}</Link>)</>}
                {a.note && <q>{a.note}</q>}
              </li>
            ))}
          </ol>
        )}
        {canAct && (
          <form
            className="comment-form"
            onSubmit={(e) => {
              e.preventDefault();
              const text = commentText.trim();
              if (text) comment.mutate({ id, text }, { onSuccess: () => setCommentText("") });
            }}
          >
            <label>
              <span className="sr-only">Comment</span>
              <textarea aria-label="Comment" placeholder="Add a comment…" value={commentText} onChange={(e) => setCommentText(e.target.value)} maxLength={2000} rows={2} />
            </label>
            <div className="actions">
              <button type="submit" disabled={comment.isPending || !commentText.trim()} data-testid="comment-submit">
                {comment.isPending ? "Saving…" : "Comment"}
              </button>
              {comment.isError && (
                <span className="error-inline" role="alert">
                  {comment.error.message}
                </span>
              )}
            </div>
          </form>
        )}
      </section>
      <SliceView serverTz={serverTz} fixed={{ reason: [d.reason], line: [d.line ?? UNKNOWN], template: [d.template ?? UNKNOWN], class: [], status: [] }} />
      {dialog === "resolve" && (
        <NoteDialog
          title={`Resolve incident #${d.id}`}
          confirmLabel="Resolve"
          busy={act.isPending}
          error={act.isError ? act.error.message : null}
          onCancel={() => setDialog(null)}
          onConfirm={(note) => act.mutate({ id, action: "resolve", note: note || undefined }, { onSuccess: () => setDialog(null) })}
        />
      )}
      {dialog === "snooze" && (
        <NoteDialog
          title={`Snooze incident #${d.id}`}
          confirmLabel="Snooze"
          busy={act.isPending || !snoozeRequest}
          error={act.isError ? act.error.message : null}
          onCancel={() => setDialog(null)}
          onConfirm={(note) => snoozeRequest && act.mutate({ id, action: "snooze", note: note || undefined, snooze: snoozeRequest }, { onSuccess: () => setDialog(null) })}
        >
          <p className="muted small">It leaves “Needs attention” and comes back by itself when this happens.</p>
          <SnoozeChoice value={snooze} onChange={setSnooze} />
        </NoteDialog>
      )}
    </div>
  );
}
