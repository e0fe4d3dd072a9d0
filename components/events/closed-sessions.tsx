"use client";

import { useQuery } from "@tanstack/react-query";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams, type Filters } from "@/lib/filters";
import type { ClosedSessionPage } from "@/lib/queries/sessions";
import { formatInTimeZone } from "@/lib/time/format";
import { LineName, PhoneNumber } from "@/components/line-name";

const SHOWN = 20;

/** Sessions (conversations) Treble closed in the window on this line or template, beside its failures. */
export function ClosedSessions({ serverTz, fixed }: { serverTz: string; fixed: Pick<Partial<Filters>, "line" | "template"> }) {
  const { filters, tz } = useFilters(serverTz);
  const queryString = filtersToSearchParams({ range: filters.range, from: filters.from, to: filters.to, line: filters.line, template: filters.template, ...fixed, tz }).toString();
  const sessions = useQuery({
    queryKey: ["closed-sessions", queryString],
    queryFn: () => fetchJson<ClosedSessionPage>(`/api/sessions?${queryString}&limit=${SHOWN}`),
    refetchInterval: 30_000,
  });
  return (
    <section className="panel closed-sessions" data-testid="closed-sessions">
      <h2>
        Sessions closed{" "}
        {sessions.data && <span className="muted small">{sessions.data.total.toLocaleString("en-US")} in the window · session.close events · {tz}</span>}
      </h2>
      {sessions.isPending ? (
        <Skeleton height={80} label="Loading sessions" />
      ) : sessions.isError ? (
        <QueryError error={sessions.error} onRetry={() => void sessions.refetch()} what="the closed sessions" />
      ) : sessions.data.items.length === 0 ? (
        <p className="muted">No session.close events in this window.</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th>Closed ({tz})</th>
                <th>Session</th>
                <th>Contact</th>
                {!fixed.line && <th>Line</th>}
                {!fixed.template && <th>Template</th>}
                <th className="num">Messages</th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.items.map((s) => (
                <tr key={s.id} data-testid="closed-session-row">
                  <td>{formatInTimeZone(Date.parse(s.closedAt), tz, "full")}</td>
                  <td>{s.externalId ?? <span className="muted">—</span>}</td>
                  <td>{s.phoneE164 ? <PhoneNumber phone={s.phoneE164} /> : [s.countryCode, s.cellphone].filter(Boolean).join(" ") || <span className="muted">unknown</span>}</td>
                  {!fixed.line && (
                    <td>
                      <LineName line={s.line} />
                    </td>
                  )}
                  {!fixed.template && <td>{s.template ?? <span className="muted">none</span>}</td>}
                  <td className="num">{s.messageCount ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {sessions.data.total > sessions.data.items.length && (
            <p className="muted small">
              The latest {sessions.data.items.length} of {sessions.data.total.toLocaleString("en-US")}; all through <code>GET /api/sessions</code>.
            </p>
          )}
        </>
      )}
    </section>
  );
}
