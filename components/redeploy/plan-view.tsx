"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useState, type ReactNode } from "react";
import { QueryError, Skeleton } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import { redeployPlanQueryKey } from "@/lib/query-keys";
import type { PlanContactSample, PlanDetail } from "@/lib/redeploy/plans";
import { canTransition, FINAL_PLAN_STATUSES, type PlanStatus } from "@/lib/redeploy/states";
import { TableScroll } from "@/components/ui/table";
import { useFormatTime } from "@/components/use-format-time";
import { useReasonText } from "@/components/use-reason-text";
import { LineName, PhoneNumber } from "@/components/line-name";


export function PlanStatusBadge({ status }: { status: PlanStatus }) {
  const t = useTranslations("planStatus");
  return (
    <span className="inline-flex rounded-full border px-2 py-0.5 text-xs" data-testid="plan-status" data-status={status}>
      {t(status)}
    </span>
  );
}

interface CountRow {
  key: string;
  label: ReactNode;
  /** Right-aligned figures after the label. */
  counts: ReactNode[];
}

/** A label column and figures: the plan's contacts by poll, by reason, by line, and the follow-up by reason. */
function CountTable({ rows, header, testId }: { rows: CountRow[]; header?: string[]; testId?: string }) {
  return (
    <table data-testid={testId}>
      {header && (
        <thead>
          <tr>
            {header.map((h, i) => (
              <th key={h} className={i ? "text-right tabular-nums" : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <td>{r.label}</td>
            {r.counts.map((c, i) => (
              <td key={i} className="text-right tabular-nums">
                {c}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CountSection({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5">
      <h2 className="mb-2">{title}</h2>
      {children}
    </section>
  );
}

const ReasonCell = ({ label, code }: { label: string; code: string }) => (
  <>
    {label} <code>{code}</code>
  </>
);

function ContactsTable({ rows, tz, testId }: { rows: PlanContactSample[]; tz: string; testId: string }) {
  const t = useTranslations("plan");
  const time = useFormatTime(tz);
  return (
    <TableScroll>
    <table data-testid={testId} className="min-w-[640px]">
      <thead>
        <tr>
          <th>{t("phone")}</th>
          <th>{t("reason")}</th>
          <th>{t("poll")}</th>
          <th>{t("line")}</th>
          <th>{t("failed", { tz })}</th>
          <th>{t("sendAt")}</th>
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
              <Link href={`/failures?q=${encodeURIComponent(c.contact.replace(/\D/g, ""))}&range=90d`}>{time.full(c.failedAt)}</Link>
            </td>
            <td>{c.eta ? time.full(c.eta) : t("now")}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </TableScroll>
  );
}

/**
 * A re-deployment plan: the dry run (exact counts per poll, reason and line, a sample), the typed
 * confirmation, then live progress, per-batch results, and who failed again afterwards.
 */
export function PlanView({ id, tz }: { id: number; tz: string }) {
  const t = useTranslations("plan");
  const format = useFormatter();
  const formatTime = useFormatTime(tz);
  const reasonText = useReasonText();
  const n = (v: number) => format.number(v);
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

  if (plan.isPending) return <Skeleton height={240} what="plan" />;
  if (plan.isError) return <QueryError error={plan.error} onRetry={() => void plan.refetch()} what="plan" />;
  const p = plan.data;
  const time = (iso: string | null) => (iso ? `${formatTime.full(iso)} ${tz}` : "—");
  const source =
    "incidentId" in p.source ? (
      <Link href={`/incidents/${p.source.incidentId}`}>{t("sourceIncident", { id: p.source.incidentId })}</Link>
    ) : (
      <Link href={`/?${new URLSearchParams(p.source.filter).toString()}`}>{t("sourceView", { view: new URLSearchParams(p.source.filter).toString() || t("last24h") })}</Link>
    );
  const delivered = p.progress.contactsSent;
  const pct = p.contacts ? Math.round((delivered / p.contacts) * 100) : 0;
  const handled = p.progress.batches - p.progress.byStatus.pending - p.progress.byStatus.sending;

  return (
    <div data-testid="plan-view">
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">
        {t("title", { id: p.id })} <PlanStatusBadge status={p.status} />
      </h1>
      <p className="text-muted-foreground">
        {t.rich("summary", {
          source: () => source,
          classes: p.include.length === 2 ? "both" : (p.include[0] ?? "retry_later"),
          send: p.sendAt === "now" || p.sendAt === "earliest" ? p.sendAt : "at",
          at: p.sendAt === "now" || p.sendAt === "earliest" ? "" : time(p.sendAt),
          lineName: () => <LineName line={p.line} />,
          hasLine: p.line ? "yes" : "no",
          by: p.createdBy ?? "—",
          made: time(p.createdAt),
        })}
      </p>
      {p.error && (
        <p className="mb-4 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="alert" data-testid="plan-error">
          {p.error}
        </p>
      )}

      <div className="mb-5 grid grid-cols-2 gap-3 sm:gap-4 md:grid-cols-5">
        <div className="block rounded-lg border bg-card p-4 shadow-xs">
          <div className="text-xs text-muted-foreground">{t("contactsToSend")}</div>
          <strong data-testid="plan-contacts">{n(p.contacts)}</strong>
        </div>
        <div className="block rounded-lg border bg-card p-4 shadow-xs">
          <div className="text-xs text-muted-foreground">{t("withoutPoll")}</div>
          <strong data-testid="plan-without-poll">{n(p.withoutPoll)}</strong>
        </div>
        <div className="block rounded-lg border bg-card p-4 shadow-xs">
          <div className="text-xs text-muted-foreground">{t("leftOutDnc")}</div>
          <strong data-testid="plan-excluded-dnc">{n(p.excluded.doNotContact)}</strong>
        </div>
        <div className="block rounded-lg border bg-card p-4 shadow-xs">
          <div className="text-xs text-muted-foreground">{t("leftOutRetried")}</div>
          <strong data-testid="plan-excluded-retried">{n(p.excluded.alreadyRetried)}</strong>
        </div>
        {p.excluded.noPhone > 0 && (
          <div className="block rounded-lg border bg-card p-4 shadow-xs">
            <div className="text-xs text-muted-foreground">{t("leftOutNoPhone")}</div>
            <strong>{n(p.excluded.noPhone)}</strong>
          </div>
        )}
      </div>

      {p.status === "draft" && (
        <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="plan-confirm">
          <h2 className="mb-2">{t("send")}</h2>
          {p.contacts === 0 ? (
            <p>{t("nobody")}</p>
          ) : (
            <form
              className="my-3.5 flex flex-wrap items-center gap-2 [&_h3]:basis-full [&_h3]:font-semibold"
              onSubmit={(e) => {
                e.preventDefault();
                act.mutate({ action: "send", body: { confirm: Number(typed) } });
              }}
            >
              <label>
                {t.rich("typeToSend", { count: p.contacts, contacts: n(p.contacts), calls: p.progress.batches, strong: (chunks) => <strong>{chunks}</strong> })}{" "}
                <input value={typed} onChange={(e) => setTyped(e.target.value.trim())} inputMode="numeric" aria-label={t("confirmLabel")} data-testid="plan-confirm-input" />
              </label>
              <button type="submit" className="inline-flex h-9 cursor-pointer items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90 disabled:cursor-default disabled:opacity-50" disabled={typed !== String(p.contacts) || act.isPending} data-testid="plan-send">
                {t("sendTo", { contacts: n(p.contacts) })}
              </button>
            </form>
          )}
        </section>
      )}

      {p.status !== "draft" && (
        <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="plan-progress">
          <h2 className="mb-2">{t("progress")}</h2>
          <progress max={p.contacts || 1} value={delivered} className="w-full accent-primary" aria-label={t("contactsSent")} />
          <p>
            {t.rich("sent", {
              sent: n(delivered),
              total: n(p.contacts),
              pct: format.number(pct / 100, { style: "percent" }),
              handled,
              batches: p.progress.batches,
              strong: (chunks) => <strong data-testid="plan-sent">{chunks}</strong>,
            })}
            {p.progress.contactsSkipped ? ` · ${t("skippedAtSend", { count: n(p.progress.contactsSkipped) })}` : ""}
            {p.sentBy ? ` · ${t("confirmedBy", { by: p.sentBy, at: time(p.sentAt) })}` : ""}
            {p.finishedAt ? ` · ${t("ended", { at: time(p.finishedAt) })}` : ""}
          </p>
        </section>
      )}

      <div className="my-2.5 flex flex-wrap items-center gap-2.5">
        {canTransition("pause", p.status) && (
          <button type="button" disabled={act.isPending} onClick={() => act.mutate({ action: "pause" })} data-testid="plan-pause">
            {t("pause")}
          </button>
        )}
        {canTransition("resume", p.status) && (
          <button type="button" className="inline-flex h-9 cursor-pointer items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground hover:bg-primary/90 disabled:cursor-default disabled:opacity-50" disabled={act.isPending} onClick={() => act.mutate({ action: "resume" })} data-testid="plan-resume">
            {t("resume")}
          </button>
        )}
        {canTransition("cancel", p.status) && (
          <button
            type="button"
            disabled={act.isPending}
            onClick={() => window.confirm(t("confirmCancel")) && act.mutate({ action: "cancel" })}
            data-testid="plan-cancel"
          >
            {t("cancel")}
          </button>
        )}
        {act.isError && (
          <span className="text-destructive" role="alert">
            {act.error.message}
          </span>
        )}
      </div>

      {p.status !== "draft" && (
        <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="plan-follow-up">
          <h2 className="mb-2">{t("failedAgain")}</h2>
          {p.followUp.contacts === 0 ? (
            <p className="text-muted-foreground">{t("noFollowUp")}</p>
          ) : (
            <>
              <p>
                {t.rich("failedAgainCount", {
                  contacts: n(p.followUp.contacts),
                  delivered: n(delivered),
                  failures: p.followUp.failures,
                  strong: (chunks) => <strong data-testid="plan-failed-again">{chunks}</strong>,
                })}
              </p>
              <CountTable rows={p.followUp.byReason.map((r) => ({ key: r.reason, label: <ReasonCell label={reasonText.label(r.reason)} code={r.reason} />, counts: [n(r.contacts)] }))} />
            </>
          )}
        </section>
      )}

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <CountSection title={t("byPoll")}>
          <CountTable
            testId="plan-by-poll"
            header={["poll_id", t("contacts"), t("calls")]}
            rows={p.byPoll.map((r) => ({ key: r.pollId, label: r.pollId, counts: [n(r.contacts), r.batches] }))}
          />
        </CountSection>
        <CountSection title={t("byReason")}>
          <CountTable testId="plan-by-reason" rows={p.byReason.map((r) => ({ key: r.reason, label: <ReasonCell label={r.label} code={r.reason} />, counts: [n(r.contacts)] }))} />
        </CountSection>
        <CountSection title={t("byLine")}>
          <CountTable testId="plan-by-line" rows={p.byLine.map((r) => ({ key: r.line ?? "", label: <LineName line={r.line} />, counts: [n(r.contacts)] }))} />
        </CountSection>
      </div>

      {p.batches.length > 0 && (
        <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5">
          <h2 className="mb-2">{t("batches")}</h2>
          <TableScroll>
          <table data-testid="plan-batches" className="min-w-[760px]">
            <thead>
              <tr>
                <th className="text-right tabular-nums">#</th>
                <th>poll_id</th>
                <th className="text-right tabular-nums">{t("contacts")}</th>
                <th>{t("status")}</th>
                <th className="text-right tabular-nums">{t("attempts")}</th>
                <th>{t("trebleIds")}</th>
                <th className="text-right tabular-nums">{t("conversations")}</th>
                <th>{t("message")}</th>
              </tr>
            </thead>
            <tbody>
              {p.batches.map((b) => (
                <tr key={b.seq} data-testid="plan-batch">
                  <td className="text-right tabular-nums">{b.seq}</td>
                  <td>{b.pollId}</td>
                  <td className="text-right tabular-nums">{n(b.size)}</td>
                  <td>
                    <span className="inline-flex rounded-full border px-2 py-0.5 text-xs" data-status={b.status}>{b.status.replace("_", " ")}</span>
                    {b.httpStatus ? <span className="text-xs text-muted-foreground"> HTTP {b.httpStatus}</span> : null}
                  </td>
                  <td className="text-right tabular-nums">{b.attempts}</td>
                  <td>{b.id ? `${b.id} / ${b.batchId ?? "—"}` : "—"}</td>
                  <td className="text-right tabular-nums">{b.conversationsId.length ? n(b.conversationsId.length) : "—"}</td>
                  <td className="text-xs">{b.message ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </TableScroll>
        </section>
      )}

      <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5">
        <h2 className="mb-2">{t("sample", { shown: p.sample.length, total: n(p.contacts) })}</h2>
        {p.sample.length ? <ContactsTable rows={p.sample} tz={tz} testId="plan-sample" /> : <p className="text-muted-foreground">{t("noContact")}</p>}
      </section>
      {p.withoutPoll > 0 && (
        <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5">
          <h2 className="mb-2">{t("withoutPollTitle", { count: n(p.withoutPoll) })}</h2>
          <p className="text-muted-foreground">{t("withoutPollWhy")}</p>
          <ContactsTable rows={p.withoutPollSample} tz={tz} testId="plan-without-poll-sample" />
        </section>
      )}
    </div>
  );
}
