"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { QueryError, Skeleton } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import { redeployPlanQueryKey } from "@/lib/query-keys";
import type { PlanContactSample, PlanDetail } from "@/lib/redeploy/plans";
import { canTransition, FINAL_PLAN_STATUSES, type PlanStatus } from "@/lib/redeploy/states";
import { formatInTimeZone } from "@/lib/time/format";
import { LineName, PhoneNumber } from "@/components/line-name";

const STATUS_LABELS: Record<PlanStatus, string> = { draft: "Dry run", sending: "Sending", paused: "Paused", done: "Done", failed: "Failed", cancelled: "Cancelled" };
const n = (v: number) => v.toLocaleString("en-US");

export function PlanStatusBadge({ status }: { status: PlanStatus }) {
  return (
    <span className={`status plan-status-${status}`} data-testid="plan-status">
      {STATUS_LABELS[status]}
    </span>
  );
}

function ContactsTable({ rows, tz, testId }: { rows: PlanContactSample[]; tz: string; testId: string }) {
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Phone</th>
          <th>Reason</th>
          <th>Poll</th>
          <th>Line</th>
          <th>Failed ({tz})</th>
          <th>Send at</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => (
          <tr key={c.contact}>
            <td>
              <PhoneNumber phone={c.contact} />
            </td>
            <td>
              <code>{c.reason}</code>
            </td>
            <td>{c.pollId ?? "—"}</td>
            <td>{c.line ? <LineName line={c.line} /> : "—"}</td>
            <td>
              <Link href={`/failures?q=${encodeURIComponent(c.contact.replace(/\D/g, ""))}&range=90d`}>{formatInTimeZone(Date.parse(c.failedAt), tz, "full")}</Link>
            </td>
            <td>{c.eta ? formatInTimeZone(Date.parse(c.eta), tz, "full") : "now"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A re-deployment plan: the dry run (exact counts per poll, reason and line, a sample), the typed
 * confirmation, then live progress, per-batch results, and who failed again afterwards.
 */
export function PlanView({ id, tz }: { id: number; tz: string }) {
  const queryClient = useQueryClient();
  const plan = useQuery({
    queryKey: redeployPlanQueryKey(id),
    queryFn: () => fetchJson<PlanDetail>(`/api/redeploy/plans/${id}`),
    // Live while batches go out; slower afterwards, for follow-up failures.
    refetchInterval: (q) => (q.state.data && !FINAL_PLAN_STATUSES.includes(q.state.data.status) && q.state.data.status !== "draft" ? 1000 : 15_000),
  });
  const [typed, setTyped] = useState("");
  const act = useMutation({
    mutationFn: ({ action, body }: { action: "send" | "pause" | "resume" | "cancel"; body?: unknown }) =>
      fetchJson<PlanDetail>(`/api/redeploy/plans/${id}/${action}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}) }),
    onSuccess: (data) => queryClient.setQueryData(redeployPlanQueryKey(id), data),
  });

  if (plan.isPending) return <Skeleton height={240} label="Loading plan" />;
  if (plan.isError) return <QueryError error={plan.error} onRetry={() => void plan.refetch()} what="the plan" />;
  const p = plan.data;
  const time = (iso: string | null) => (iso ? `${formatInTimeZone(Date.parse(iso), tz, "full")} ${tz}` : "—");
  const source = "incidentId" in p.source ? (
    <Link href={`/incidents/${p.source.incidentId}`}>incident #{p.source.incidentId}</Link>
  ) : (
    <Link href={`/?${new URLSearchParams(p.source.filter).toString()}`}>the view {new URLSearchParams(p.source.filter).toString() || "(last 24 h)"}</Link>
  );
  const delivered = p.progress.contactsSent;
  const pct = p.contacts ? Math.round((delivered / p.contacts) * 100) : 0;
  const handled = p.progress.batches - p.progress.byStatus.pending - p.progress.byStatus.sending;

  return (
    <div data-testid="plan-view">
      <h1 className="page-title">
        Re-deployment plan #{p.id} <PlanStatusBadge status={p.status} />
      </h1>
      <p className="muted">
        From {source}; {p.include.map((c) => (c === "retry_later" ? "retry later" : "fix then retry")).join(" and ")} failures; send{" "}
        {p.sendAt === "now" ? "now" : p.sendAt === "earliest" ? "at the earliest time a retry can work" : `at ${time(p.sendAt)}`}
        {p.line ? (
          <>
            , all from line <LineName line={p.line} />
          </>
        ) : (
          ", each on the line it failed on"
        )}
        . Made by {p.createdBy ?? "—"}, {time(p.createdAt)}.
      </p>
      {p.error && (
        <p className="query-error" role="alert" data-testid="plan-error">
          {p.error}
        </p>
      )}

      <div className="tiles">
        <div className="tile">
          <div className="muted">Contacts to send</div>
          <strong data-testid="plan-contacts">{n(p.contacts)}</strong>
        </div>
        <div className="tile">
          <div className="muted">Without poll_id (cannot be re-deployed)</div>
          <strong data-testid="plan-without-poll">{n(p.withoutPoll)}</strong>
        </div>
        <div className="tile">
          <div className="muted">Left out: do not contact</div>
          <strong data-testid="plan-excluded-dnc">{n(p.excluded.doNotContact)}</strong>
        </div>
        <div className="tile">
          <div className="muted">Left out: already re-deployed</div>
          <strong data-testid="plan-excluded-retried">{n(p.excluded.alreadyRetried)}</strong>
        </div>
        {p.excluded.noPhone > 0 && (
          <div className="tile">
            <div className="muted">Left out: no cellphone or country code</div>
            <strong>{n(p.excluded.noPhone)}</strong>
          </div>
        )}
      </div>

      {p.status === "draft" && (
        <section className="panel" data-testid="plan-confirm">
          <h2>Send</h2>
          {p.contacts === 0 ? (
            <p>Nobody to send: every contact of this view is left out (see above).</p>
          ) : (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                act.mutate({ action: "send", body: { confirm: Number(typed) } });
              }}
            >
              <label>
                Type <strong>{p.contacts}</strong> to send WhatsApp messages to {n(p.contacts)} contacts in {p.progress.batches} calls to Treble{" "}
                <input value={typed} onChange={(e) => setTyped(e.target.value.trim())} inputMode="numeric" aria-label="Number of contacts, to confirm" data-testid="plan-confirm-input" />
              </label>
              <button type="submit" className="primary" disabled={typed !== String(p.contacts) || act.isPending} data-testid="plan-send">
                Send to {n(p.contacts)} contacts
              </button>
            </form>
          )}
        </section>
      )}

      {p.status !== "draft" && (
        <section className="panel" data-testid="plan-progress">
          <h2>Progress</h2>
          <progress max={p.contacts || 1} value={delivered} style={{ width: "100%" }} aria-label="Contacts sent" />
          <p>
            <strong data-testid="plan-sent">{n(delivered)}</strong> of {n(p.contacts)} contacts sent ({pct}%) · {handled} of {p.progress.batches} batches handled
            {p.progress.contactsSkipped ? ` · ${n(p.progress.contactsSkipped)} left out at send time (new "do not contact" failure)` : ""}
            {p.sentBy ? ` · confirmed by ${p.sentBy}, ${time(p.sentAt)}` : ""}
            {p.finishedAt ? ` · ended ${time(p.finishedAt)}` : ""}
          </p>
        </section>
      )}

      <div className="actions">
        {canTransition("pause", p.status) && (
          <button type="button" disabled={act.isPending} onClick={() => act.mutate({ action: "pause" })} data-testid="plan-pause">
            Pause
          </button>
        )}
        {canTransition("resume", p.status) && (
          <button type="button" className="primary" disabled={act.isPending} onClick={() => act.mutate({ action: "resume" })} data-testid="plan-resume">
            Resume
          </button>
        )}
        {canTransition("cancel", p.status) && (
          <button
            type="button"
            disabled={act.isPending}
            onClick={() => window.confirm("Cancel this plan? Batches not yet sent will never be sent.") && act.mutate({ action: "cancel" })}
            data-testid="plan-cancel"
          >
            Cancel plan
          </button>
        )}
        {act.isError && (
          <span className="error-inline" role="alert">
            {act.error.message}
          </span>
        )}
      </div>

      {p.status !== "draft" && (
        <section className="panel" data-testid="plan-follow-up">
          <h2>Failed again</h2>
          {p.followUp.contacts === 0 ? (
            <p className="muted">No failure received for its contacts since they were re-deployed.</p>
          ) : (
            <>
              <p>
                <strong data-testid="plan-failed-again">{n(p.followUp.contacts)}</strong> of {n(delivered)} re-deployed contacts failed again ({n(p.followUp.failures)}{" "}
                failures):
              </p>
              <table>
                <tbody>
                  {p.followUp.byReason.map((r) => (
                    <tr key={r.reason}>
                      <td>
                        {r.label} <code>{r.reason}</code>
                      </td>
                      <td className="num">{n(r.contacts)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      )}

      <div className="breakdowns">
        <section className="panel">
          <h2>By poll</h2>
          <table data-testid="plan-by-poll">
            <thead>
              <tr>
                <th>poll_id</th>
                <th className="num">Contacts</th>
                <th className="num">Calls</th>
              </tr>
            </thead>
            <tbody>
              {p.byPoll.map((r) => (
                <tr key={r.pollId}>
                  <td>{r.pollId}</td>
                  <td className="num">{n(r.contacts)}</td>
                  <td className="num">{r.batches}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>By reason</h2>
          <table data-testid="plan-by-reason">
            <tbody>
              {p.byReason.map((r) => (
                <tr key={r.reason}>
                  <td>
                    {r.label} <code>{r.reason}</code>
                  </td>
                  <td className="num">{n(r.contacts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>By line</h2>
          <table data-testid="plan-by-line">
            <tbody>
              {p.byLine.map((r) => (
                <tr key={r.line ?? ""}>
                  <td>
                    <LineName line={r.line} />
                  </td>
                  <td className="num">{n(r.contacts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>

      {p.batches.length > 0 && (
        <section className="panel">
          <h2>Batches</h2>
          <table data-testid="plan-batches">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>poll_id</th>
                <th className="num">Contacts</th>
                <th>Status</th>
                <th className="num">Attempts</th>
                <th>Treble id / batch_id</th>
                <th className="num">Conversations</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {p.batches.map((b) => (
                <tr key={b.seq} data-testid="plan-batch">
                  <td className="num">{b.seq}</td>
                  <td>{b.pollId}</td>
                  <td className="num">{n(b.size)}</td>
                  <td>
                    <span className={`status batch-status-${b.status}`}>{b.status.replace("_", " ")}</span>
                    {b.httpStatus ? <span className="muted small"> HTTP {b.httpStatus}</span> : null}
                  </td>
                  <td className="num">{b.attempts}</td>
                  <td>{b.id ? `${b.id} / ${b.batchId ?? "—"}` : "—"}</td>
                  <td className="num">{b.conversationsId.length ? n(b.conversationsId.length) : "—"}</td>
                  <td className="small">{b.message ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="panel">
        <h2>Sample ({p.sample.length} of {n(p.contacts)})</h2>
        {p.sample.length ? <ContactsTable rows={p.sample} tz={tz} testId="plan-sample" /> : <p className="muted">No contact.</p>}
      </section>
      {p.withoutPoll > 0 && (
        <section className="panel">
          <h2>Without poll_id ({n(p.withoutPoll)}, not sent)</h2>
          <p className="muted">Treble deploys to a poll; these failures did not say which, so they cannot be re-deployed from here.</p>
          <ContactsTable rows={p.withoutPollSample} tz={tz} testId="plan-without-poll-sample" />
        </section>
      )}
    </div>
  );
}
