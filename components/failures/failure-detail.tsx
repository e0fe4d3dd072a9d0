"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { IncidentStatus } from "@/components/incidents/incident-badges";
import { LineName, PhoneNumber } from "@/components/line-name";
import { QueryError, Skeleton } from "@/components/query-states";
import { ReasonClassBadge } from "@/components/reason-class-badge";
import { ReasonRetry } from "@/components/reason-retry";
import { Card, CardTitle } from "@/components/ui/card";
import { useFormatTime } from "@/components/use-format-time";
import { useReasonText } from "@/components/use-reason-text";
import { fetchJson } from "@/lib/api-client";
import { UNKNOWN } from "@/lib/filters";
import type { FailureDetail as Detail } from "@/lib/queries/failures";
import { failureQueryKey } from "@/lib/query-keys";

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Every normalised field of a failure, its raw payload, and what to do about its reason. */
export function FailureDetail({ id, tz, filterQuery }: { id: number; tz: string; filterQuery: string }) {
  const t = useTranslations("failureDetail");
  const reasonText = useReasonText();
  const format = useFormatTime(tz);
  const detail = useQuery({ queryKey: failureQueryKey(id), queryFn: () => fetchJson<Detail>(`/api/failures/${id}`) });
  if (detail.isPending) return <Skeleton height={300} what="failure" />;
  if (detail.isError) return <QueryError error={detail.error} onRetry={() => void detail.refetch()} what="failure" />;
  const f = detail.data;
  const withFilter = (key: string, value: string) => {
    const params = new URLSearchParams(filterQuery);
    params.set(key, value);
    return `/failures?${params.toString()}`;
  };
  const time = (iso: string) => `${format.full(iso)} ${tz}`;
  return (
    <div data-testid="failure-detail">
      <Card>
        <CardTitle className="flex flex-wrap items-center gap-2">
          {reasonText.label(f.reason)} <code className="text-xs font-normal text-muted-foreground">{f.reason}</code> <ReasonClassBadge reasonClass={f.reasonClass} />
        </CardTitle>
        {f.meaning ? (
          <>
            <p>{reasonText.meaning(f.reason)}</p>
            <p>
              <strong>{t("whatToDo")}</strong> {reasonText.action(f.reason)}
            </p>
            <ReasonRetry code={f.reason} />
          </>
        ) : (
          <p className="text-muted-foreground">{t("notDocumented")}</p>
        )}
      </Card>
      <Card>
        <CardTitle>{t("fields")}</CardTitle>
        <dl className="m-0 grid grid-cols-1 gap-x-3 gap-y-1.5 sm:grid-cols-[180px_1fr] [&_dd]:m-0 [&_dd]:mb-1 [&_dd]:break-words [&_dt]:text-muted-foreground">
          <dt>{t("occurred")}</dt>
          <dd>
            {time(f.occurredAt)}
            {f.occurredAtFromReceipt && <span className="text-muted-foreground"> {t("noTimestamp")}</span>}
            {f.sentOccurredAt && (
              <div className="mt-1 text-xs text-warning-foreground" data-testid="clock-skew">
                {t("clockSkew", { sent: time(f.sentOccurredAt) })}
              </div>
            )}
          </dd>
          <dt>{t("received")}</dt>
          <dd>{time(f.receivedAt)}</dd>
          <dt>{t("eventId")}</dt>
          <dd>
            <code>{f.eventId}</code>
          </dd>
          <dt>{t("line")}</dt>
          <dd>
            <LineName line={f.line} /> · <Link href={withFilter("line", f.line ?? UNKNOWN)}>{t("allOnLine")}</Link>
            {f.line && (
              <>
                {" "}
                · <Link href={`/lines/${encodeURIComponent(f.line)}`}>{t("linePage")}</Link>
              </>
            )}
          </dd>
          <dt>{t("template")}</dt>
          <dd>
            {f.template ?? t("unknown")} · <Link href={withFilter("template", f.template ?? UNKNOWN)}>{t("allOfTemplate")}</Link>
            {f.template && (
              <>
                {" "}
                · <Link href={`/templates/${encodeURIComponent(f.template)}`}>{t("templatePage")}</Link>
              </>
            )}
          </dd>
          <dt>{t("contact")}</dt>
          <dd>
            {f.phoneE164 ? <PhoneNumber phone={f.phoneE164} /> : [f.countryCode, f.cellphone].filter(Boolean).join(" ") || t("unknown")}
            {(f.phoneE164 ?? f.cellphone) && (
              <>
                {" "}
                · <Link href={withFilter("q", f.phoneE164 ?? f.cellphone ?? "")}>{t("allOfContact")}</Link>
              </>
            )}
          </dd>
          <dt>{t("countryCellphone")}</dt>
          <dd>
            {f.countryCode ?? "—"} / {f.cellphone ?? "—"}
          </dd>
          <dt>{t("campaign")}</dt>
          <dd>{f.pollId ?? "—"}</dd>
          <dt>{t("deploymentBatch")}</dt>
          <dd>
            {f.deploymentId ?? "—"} / {f.batchId ?? "—"}
          </dd>
          <dt>{t("session")}</dt>
          <dd>{f.sessionId ?? "—"}</dd>
          <dt>{t("incident")}</dt>
          <dd className="flex items-center gap-2">
            <Link href={`/incidents/${f.incidentId}`}>#{f.incidentId}</Link> <IncidentStatus incident={{ status: f.incidentStatus, regressed: false, escalating: false }} testIds={false} />
          </dd>
          <dt>{t("eventType")}</dt>
          <dd>{f.eventType}</dd>
        </dl>
        {f.userSessionKeys !== null && (
          <>
            <h3 className="mt-3 font-semibold">user_session_keys</h3>
            <pre>{JSON.stringify(f.userSessionKeys, null, 2)}</pre>
          </>
        )}
      </Card>
      <Card>
        <CardTitle>{t("rawPayload")}</CardTitle>
        <pre data-testid="raw-payload" className="max-h-96 whitespace-pre-wrap break-all">
          {prettyJson(f.rawPayload)}
        </pre>
      </Card>
    </div>
  );
}
