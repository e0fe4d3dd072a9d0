"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { QueryError, Skeleton } from "@/components/query-states";
import { ReasonClassBadge } from "@/components/reason-class-badge";
import { ReasonRetry } from "@/components/reason-retry";
import { fetchJson } from "@/lib/api-client";
import { UNKNOWN } from "@/lib/filters";
import type { FailureDetail as Detail } from "@/lib/queries/failures";
import { formatInTimeZone } from "@/lib/time/format";
import { failureQueryKey } from "@/lib/query-keys";
import { LineName, PhoneNumber } from "@/components/line-name";

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Every normalised field of a failure, its raw payload, and what to do about its reason. */
export function FailureDetail({ id, tz, filterQuery }: { id: number; tz: string; filterQuery: string }) {
  const detail = useQuery({ queryKey: failureQueryKey(id), queryFn: () => fetchJson<Detail>(`/api/failures/${id}`) });
  if (detail.isPending) return <Skeleton height={300} label="Loading failure" />;
  if (detail.isError) return <QueryError error={detail.error} onRetry={() => void detail.refetch()} what="this failure" />;
  const f = detail.data;
  const withFilter = (key: string, value: string) => {
    const params = new URLSearchParams(filterQuery);
    params.set(key, value);
    return `/failures?${params.toString()}`;
  };
  const time = (iso: string) => `${formatInTimeZone(Date.parse(iso), tz, "full")} ${tz}`;
  return (
    <div className="failure-detail" data-testid="failure-detail">
      <section className="panel">
        <h2>
          {f.reasonLabel} <code>{f.reason}</code> <ReasonClassBadge reasonClass={f.reasonClass} />
        </h2>
        {f.meaning ? (
          <>
            <p>{f.meaning}</p>
            <p>
              <strong>What to do:</strong> {f.action}
            </p>
            <ReasonRetry code={f.reason} />
          </>
        ) : (
          <p className="muted">This reason is not in Treble&apos;s documented list; it is kept exactly as received.</p>
        )}
      </section>
      <section className="panel">
        <h2>Fields</h2>
        <dl className="fields">
          <dt>Occurred</dt>
          <dd>
            {time(f.occurredAt)}
            {f.occurredAtFromReceipt && <span className="muted"> (no timestamp in the event: receipt time)</span>}
            {f.sentOccurredAt && (
              <div className="clock-skew" data-testid="clock-skew">
                Clock skew: the event said {time(f.sentOccurredAt)}, more than 10 minutes after it was received, so the receipt time is used.
              </div>
            )}
          </dd>
          <dt>Received</dt>
          <dd>{time(f.receivedAt)}</dd>
          <dt>Event id</dt>
          <dd>
            <code>{f.eventId}</code>
          </dd>
          <dt>Line</dt>
          <dd>
            <LineName line={f.line} /> · <Link href={withFilter("line", f.line ?? UNKNOWN)}>all failures on this line</Link>
            {f.line && (
              <>
                {" "}
                · <Link href={`/lines/${encodeURIComponent(f.line)}`}>line page</Link>
              </>
            )}
          </dd>
          <dt>Template</dt>
          <dd>
            {f.template ?? "unknown"} · <Link href={withFilter("template", f.template ?? UNKNOWN)}>all failures of this template</Link>
            {f.template && (
              <>
                {" "}
                · <Link href={`/templates/${encodeURIComponent(f.template)}`}>template page</Link>
              </>
            )}
          </dd>
          <dt>Contact</dt>
          <dd>
            {f.phoneE164 ? <PhoneNumber phone={f.phoneE164} /> : [f.countryCode, f.cellphone].filter(Boolean).join(" ") || "unknown"}
            {(f.phoneE164 ?? f.cellphone) && (
              <>
                {" "}
                · <Link href={withFilter("q", f.phoneE164 ?? f.cellphone ?? "")}>all failures of this contact</Link>
              </>
            )}
          </dd>
          <dt>Country code / cellphone</dt>
          <dd>
            {f.countryCode ?? "—"} / {f.cellphone ?? "—"}
          </dd>
          <dt>Campaign (poll)</dt>
          <dd>{f.pollId ?? "—"}</dd>
          <dt>Deployment / batch</dt>
          <dd>
            {f.deploymentId ?? "—"} / {f.batchId ?? "—"}
          </dd>
          <dt>Session</dt>
          <dd>{f.sessionId ?? "—"}</dd>
          <dt>Incident</dt>
          <dd>
            #{f.incidentId} <span className={`status status-${f.incidentStatus}`}>{f.incidentStatus}</span>
          </dd>
          <dt>Event type</dt>
          <dd>{f.eventType}</dd>
        </dl>
        {f.userSessionKeys !== null && (
          <>
            <h3>user_session_keys</h3>
            <pre>{JSON.stringify(f.userSessionKeys, null, 2)}</pre>
          </>
        )}
      </section>
      <section className="panel">
        <h2>Raw payload</h2>
        <pre data-testid="raw-payload">{prettyJson(f.rawPayload)}</pre>
      </section>
    </div>
  );
}
