"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { toast } from "sonner";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { RedeployLauncher } from "@/components/redeploy/redeploy-launcher";
import { SliceView } from "@/components/slice-view";
import { Button } from "@/components/ui/button";
import { Card, CardTitle } from "@/components/ui/card";
import { NativeSelect, Textarea } from "@/components/ui/input";
import { useFormatTime } from "@/components/use-format-time";
import { useReasonText } from "@/components/use-reason-text";
import { fetchJson } from "@/lib/api-client";
import { UNKNOWN } from "@/lib/filters";
import { canTake, INCIDENT_ACTION_NAMES, type IncidentAction } from "@/lib/incidents/transitions";
import type { IncidentActivityItem, IncidentDetail } from "@/lib/queries/incidents";
import { incidentQueryKey } from "@/lib/query-keys";
import { IncidentStatus } from "./incident-badges";
import { INCIDENTS_REFRESH_MS } from "./incidents-table";
import { NoteDialog } from "./note-dialog";
import { DEFAULT_SNOOZE, SnoozeChoice, snoozeBody, useDescribeSnooze, type SnoozeChoiceState } from "./snooze-choice";
import { useAssign, useAssignees, useComment, useIncidentAction } from "./use-incident-action";
import { LineName } from "@/components/line-name";

const SHORTCUT_OF: Record<IncidentAction, string> = { acknowledge: "a", resolve: "r", reopen: "o", snooze: "s", unsnooze: "u", ignore: "i" };
const SHORTCUTS = Object.fromEntries(Object.entries(SHORTCUT_OF).map(([action, key]) => [key, action as IncidentAction]));
/** Actions that open a dialog (a note, or what wakes the snooze) before they are taken. */
const WITH_DIALOG: ReadonlySet<IncidentAction> = new Set(["resolve", "snooze"]);

/** Activity entries, each read through the "activity" messages ("<action> by <actor>"). */
const ACTIVITY_ACTIONS: ReadonlySet<IncidentActivityItem["action"]> = new Set([
  "acknowledged",
  "resolved",
  "reopened",
  "snoozed",
  "unsnoozed",
  "ignored",
  "regressed",
  "auto_resolved",
  "assigned",
  "unassigned",
  "commented",
  "escalating",
  "escalation_ended",
]);

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
  const t = useTranslations("incident");
  const tAction = useTranslations("incidentActions");
  const tActivity = useTranslations("activity");
  const format = useFormatter();
  const reasonText = useReasonText();
  const { tz } = useFilters(serverTz);
  const formatTime = useFormatTime(tz);
  const describeSnooze = useDescribeSnooze((iso) => formatTime.full(iso));
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
    else act.mutate({ id, action }, { onSuccess: () => toast.success(t("done", { action: tAction(action), id })) });
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

  if (incident.isPending) return <Skeleton height={200} what="incident" />;
  if (incident.isError) return <QueryError error={incident.error} onRetry={() => void incident.refetch()} what="incident" />;
  const d = incident.data;
  const time = (iso: string | null) => (iso ? formatTime.full(iso) : "—");
  const error = [act, assign].find((m) => m.isError)?.error;
  const snoozeRequest = snoozeBody(snooze);

  return (
    <div data-testid="incident-detail">
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">
        {t("title", { id: d.id })} <IncidentStatus incident={d} />
      </h1>
      {canAct && (
        <div className="my-2.5 flex flex-wrap items-center gap-2.5" data-testid="incident-actions">
          {INCIDENT_ACTION_NAMES.map((action) => (
            <Button
              key={action}
              type="button"
              size="sm"
              variant={canTake(action, d.status) ? "default" : "outline"}
              disabled={!canTake(action, d.status) || busy}
              onClick={() => run(action)}
              data-testid={`action-${action}`}
              aria-keyshortcuts={SHORTCUT_OF[action]}
            >
              {tAction(action)}
              {WITH_DIALOG.has(action) ? "…" : ""} <kbd>{SHORTCUT_OF[action]}</kbd>
            </Button>
          ))}
          <RedeployLauncher source={{ incidentId: d.id }} />
          <Button type="button" variant="outline" size="sm" onClick={assignToMe} disabled={busy || d.assignee?.id === currentUserId} data-testid="assign-to-me" aria-keyshortcuts="m">
            {t("assignToMe")} <kbd>m</kbd>
          </Button>
          <label>
            <span className="sr-only">{t("assignee")}</span>
            <NativeSelect
              className="h-8"
              aria-label={t("assignee")}
              data-testid="assignee-select"
              value={d.assignee?.id ?? ""}
              disabled={busy}
              onChange={(e) => assign.mutate({ id, userId: e.target.value || null }, { onSuccess: () => toast.success(t("assigneeSaved")) })}
            >
              <option value="">{t("unassigned")}</option>
              {d.assignee && !assignees.data?.some((u) => u.id === d.assignee?.id) && <option value={d.assignee.id}>{d.assignee.email}</option>}
              {assignees.data?.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </NativeSelect>
          </label>
          {error && (
            <span className="text-destructive" role="alert">
              {error.message}
            </span>
          )}
        </div>
      )}
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[2fr_1fr]">
        <Card>
          <CardTitle>
            {reasonText.label(d.reason)} <code className="text-xs font-normal text-muted-foreground">{d.reason}</code>
          </CardTitle>
          <dl className="m-0 grid grid-cols-1 gap-x-3 gap-y-1.5 sm:grid-cols-[180px_1fr] [&_dd]:m-0 [&_dd]:mb-1 [&_dd]:break-words [&_dt]:text-muted-foreground">
            <dt>{t("line")}</dt>
            <dd>
              <LineName line={d.line} />
            </dd>
            <dt>{t("template")}</dt>
            <dd>{d.template ?? t("unknown")}</dd>
            <dt>{t("failuresContacts")}</dt>
            <dd>
              <span data-testid="incident-count">{format.number(d.count)}</span> / {format.number(d.contacts)}
            </dd>
            <dt>{t("firstLastSeen", { tz })}</dt>
            <dd>
              {time(d.firstSeen)} / {time(d.lastSeen)}
            </dd>
            <dt>{t("assignee")}</dt>
            <dd data-testid="incident-assignee">{d.assignee ? `${d.assignee.name} <${d.assignee.email}>` : "—"}</dd>
            {d.snooze && (
              <>
                <dt>{t("snoozed")}</dt>
                <dd data-testid="incident-snooze">{describeSnooze(d.snooze)}</dd>
              </>
            )}
            {d.escalating && (
              <>
                <dt>{t("escalatingSince")}</dt>
                <dd>{time(d.escalatingSince)}</dd>
              </>
            )}
            {d.status === "acknowledged" && (
              <>
                <dt>{t("newSinceAck")}</dt>
                <dd data-testid="new-since-ack">{format.number(d.newSinceAck)}</dd>
              </>
            )}
            <dt>{t("acknowledged")}</dt>
            <dd>{d.acknowledgedBy ? `${d.acknowledgedBy}, ${time(d.acknowledgedAt)}` : "—"}</dd>
            <dt>{t("resolved")}</dt>
            <dd>{d.resolvedAt ? `${d.resolvedBy ?? t("autoResolve")}, ${time(d.resolvedAt)}` : "—"}</dd>
            <dt>{t("resolutionNote")}</dt>
            <dd data-testid="incident-note">{d.note ?? "—"}</dd>
            <dt>{t("timesReopened")}</dt>
            <dd>{d.reopenedCount}</dd>
          </dl>
        </Card>
        <Card data-testid="incident-reason">
          <CardTitle>{t("whatItMeans")}</CardTitle>
          <p>{reasonText.meaning(d.reason) ?? t("unknownMeaning")}</p>
          <CardTitle className="mt-3">{t("whatToDo")}</CardTitle>
          <p>{reasonText.action(d.reason) ?? t("unknownAction")}</p>
        </Card>
      </div>
      <Card>
        <CardTitle>{t("activity")}</CardTitle>
        {d.activity.length === 0 ? (
          <p className="text-muted-foreground">{t("noActivity")}</p>
        ) : (
          <ol className="m-0 flex list-decimal flex-col gap-1.5 pl-5" data-testid="incident-activity">
            {d.activity.map((a) => (
              <li key={a.id} data-testid="activity-item">
                <span className="text-muted-foreground">{time(a.at)}</span>{" "}
                {t.rich("activityBy", {
                  action: ACTIVITY_ACTIONS.has(a.action) ? tActivity(a.action) : a.action,
                  actor: a.actor ?? "Faultline",
                  strong: (chunks) => <strong>{chunks}</strong>,
                })}
                {a.failureId !== null && (
                  <>
                    {" "}
                    (<Link href={`/failures/${a.failureId}`}>{t("failureLink", { id: a.failureId })}</Link>)
                  </>
                )}
                {a.note && <q className="ml-1.5 text-muted-foreground">{a.note}</q>}
              </li>
            ))}
          </ol>
        )}
        {canAct && (
          <form
            className="mt-3 flex flex-col gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              const text = commentText.trim();
              if (text) comment.mutate({ id, text }, { onSuccess: () => setCommentText("") });
            }}
          >
            <label>
              <span className="sr-only">{t("comment")}</span>
              <Textarea aria-label={t("comment")} placeholder={t("addComment")} value={commentText} onChange={(e) => setCommentText(e.target.value)} maxLength={2000} rows={2} />
            </label>
            <div className="flex flex-wrap items-center gap-2.5">
              <Button type="submit" size="sm" disabled={comment.isPending || !commentText.trim()} data-testid="comment-submit">
                {comment.isPending ? t("saving") : t("commentButton")}
              </Button>
              {comment.isError && (
                <span className="text-destructive" role="alert">
                  {comment.error.message}
                </span>
              )}
            </div>
          </form>
        )}
      </Card>
      <SliceView serverTz={serverTz} fixed={{ reason: [d.reason], line: [d.line ?? UNKNOWN], template: [d.template ?? UNKNOWN], class: [], status: [] }} />
      {dialog === "resolve" && (
        <NoteDialog
          title={t("resolveTitle", { id: d.id })}
          confirmLabel={tAction("resolve")}
          busy={act.isPending}
          error={act.isError ? act.error.message : null}
          onCancel={() => setDialog(null)}
          onConfirm={(note) =>
            act.mutate(
              { id, action: "resolve", note: note || undefined },
              {
                onSuccess: () => {
                  setDialog(null);
                  toast.success(t("done", { action: tAction("resolve"), id }));
                },
              },
            )
          }
        />
      )}
      {dialog === "snooze" && (
        <NoteDialog
          title={t("snoozeTitle", { id: d.id })}
          confirmLabel={tAction("snooze")}
          busy={act.isPending || !snoozeRequest}
          error={act.isError ? act.error.message : null}
          onCancel={() => setDialog(null)}
          onConfirm={(note) =>
            snoozeRequest &&
            act.mutate(
              { id, action: "snooze", note: note || undefined, snooze: snoozeRequest },
              {
                onSuccess: () => {
                  setDialog(null);
                  toast.success(t("done", { action: tAction("snooze"), id }));
                },
              },
            )
          }
        >
          <p className="text-xs text-muted-foreground">{t("snoozeHint")}</p>
          <SnoozeChoice value={snooze} onChange={setSnooze} />
        </NoteDialog>
      )}
    </div>
  );
}
