"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { ClosedSessions } from "@/components/events/closed-sessions";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError } from "@/components/query-states";
import { SliceView } from "@/components/slice-view";
import { Card, CardTitle } from "@/components/ui/card";
import { useFormatTime } from "@/components/use-format-time";
import { fetchJson } from "@/lib/api-client";
import type { TemplateStatusChange } from "@/lib/queries/templates";
import { isUnavailableTemplateStatus } from "@/lib/template-status";
import { formatInTimeZone } from "@/lib/time/format";

/** Theme colours (CSS variables), readable in light and dark mode. */
const STATUS_COLORS: Record<string, string> = {
  DISABLED: "var(--destructive)",
  PAUSED: "var(--retry_later)",
  REJECTED: "var(--destructive)",
  APPROVED: "var(--success)",
  PENDING_DELETION: "var(--muted-foreground)",
};

/** A template's failures with its status history (from `hsm.status` events) drawn on the trend. */
export function TemplateView({ serverTz, template }: { serverTz: string; template: string }) {
  const t = useTranslations("template");
  const { tz } = useFilters(serverTz);
  const time = useFormatTime(tz);
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
        <div className="mb-4 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="status" data-testid="template-unavailable">
          <strong>{t("unavailableNow", { status: unavailable.status })}</strong> {t("unavailableWhy", { since: `${time.full(unavailable.at)} ${tz}` })}{" "}
          {unavailable.status === "PAUSED" ? t("pausedHint") : t("disabledHint")}
        </div>
      )}
      <Card data-testid="template-status-history">
        <CardTitle>{t("statusHistory")}</CardTitle>
        {history.isError ? (
          <QueryError error={history.error} onRetry={() => void history.refetch()} what="statusHistory" />
        ) : history.isPending ? (
          <p className="text-muted-foreground">{t("loading")}</p>
        ) : items.length === 0 ? (
          <p className="text-muted-foreground">{t("noStatus")}</p>
        ) : (
          <ul className="m-0 list-disc pl-5">
            {items.map((s) => (
              <li key={`${s.at}-${s.status}`}>
                <strong style={{ color: STATUS_COLORS[s.status] }}>{s.status}</strong> {t("at", { at: `${time.full(s.at)} ${tz}` })}
                {s.affectedConversationIds && s.affectedConversationIds.length > 0 && (
                  <span className="text-xs text-muted-foreground" title={s.affectedConversationIds.join(", ")}>
                    {" "}
                    · {t("affectedConversations", { count: s.affectedConversationIds.length })}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <SliceView
        serverTz={serverTz}
        fixed={{ template: [template] }}
        markers={items.map((s) => ({ at: s.at, label: `${s.status} ${formatInTimeZone(Date.parse(s.at), tz, "minute")}`, color: STATUS_COLORS[s.status] }))}
      />
      <ClosedSessions serverTz={serverTz} fixed={{ template: [template] }} />
    </>
  );
}
