"use client";

import { useQuery } from "@tanstack/react-query";
import { ClosedSessions } from "@/components/events/closed-sessions";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError } from "@/components/query-states";
import { SliceView } from "@/components/slice-view";
import { fetchJson } from "@/lib/api-client";
import type { TemplateStatusChange } from "@/lib/queries/templates";
import { isUnavailableTemplateStatus } from "@/lib/template-status";
import { formatInTimeZone } from "@/lib/time/format";

const STATUS_COLORS: Record<string, string> = { DISABLED: "#b42318", PAUSED: "#b54708", REJECTED: "#b42318", APPROVED: "#027a48", PENDING_DELETION: "#667085" };

/** A template's failures with its status history (from `hsm.status` events) drawn on the trend. */
export function TemplateView({ serverTz, template }: { serverTz: string; template: string }) {
  const { tz } = useFilters(serverTz);
  const history = useQuery({
    queryKey: ["template-status", template],
    queryFn: () => fetchJson<{ items: TemplateStatusChange[] }>(`/api/templates/${encodeURIComponent(template)}/status-history`),
  });
  const items = history.data?.items ?? [];
  const current = items.at(-1);
  const unavailable = current && isUnavailableTemplateStatus(current.status) ? current : null;
  return (
    <>
      {unavailable && (
        <div className="banner banner-danger" role="status" data-testid="template-unavailable">
          <strong>
            This template is {unavailable.status} now
          </strong>{" "}
          (since {formatInTimeZone(Date.parse(unavailable.at), tz, "full")} {tz}): Meta will not send it, and deployments using it fail with
          FAILURE_BY_DISABLED_HSM.{" "}
          {unavailable.status === "PAUSED"
            ? "A paused template comes back by itself (3 h the first time, 6 h the second; the third red rating disables it)."
            : "It must be edited and approved again, or the campaign switched to another template."}
        </div>
      )}
      <section className="panel" data-testid="template-status-history">
        <h2>Status history</h2>
        {history.isError ? (
          <QueryError error={history.error} onRetry={() => void history.refetch()} what="statusHistory" />
        ) : history.isPending ? (
          <p className="muted">Loading…</p>
        ) : items.length === 0 ? (
          <p className="muted">No hsm.status events received for this template.</p>
        ) : (
          <ul className="status-history">
            {items.map((s) => (
              <li key={`${s.at}-${s.status}`}>
                <strong style={{ color: STATUS_COLORS[s.status] }}>{s.status}</strong> at {formatInTimeZone(Date.parse(s.at), tz, "full")} {tz}
                {s.affectedConversationIds && s.affectedConversationIds.length > 0 && (
                  <span className="muted small" title={s.affectedConversationIds.join(", ")}>
                    {" "}
                    · {s.affectedConversationIds.length} affected conversation{s.affectedConversationIds.length === 1 ? "" : "s"}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <SliceView
        serverTz={serverTz}
        fixed={{ template: [template] }}
        markers={items.map((s) => ({ at: s.at, label: `${s.status} ${formatInTimeZone(Date.parse(s.at), tz, "minute")}`, color: STATUS_COLORS[s.status] }))}
      />
      <ClosedSessions serverTz={serverTz} fixed={{ template: [template] }} />
    </>
  );
}
