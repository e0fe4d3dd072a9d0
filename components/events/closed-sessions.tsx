"use client";

import { useQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError, Skeleton } from "@/components/query-states";
import { Card, CardTitle } from "@/components/ui/card";
import { TableScroll } from "@/components/ui/table";
import { useFormatTime } from "@/components/use-format-time";
import { fetchJson } from "@/lib/api-client";
import { filtersToSearchParams, type Filters } from "@/lib/filters";
import type { ClosedSessionPage } from "@/lib/queries/sessions";
import { LineName, PhoneNumber } from "@/components/line-name";

const SHOWN = 20;

/** Sessions (conversations) Treble closed in the window on this line or template, beside its failures. */
export function ClosedSessions({ serverTz, fixed }: { serverTz: string; fixed: Pick<Partial<Filters>, "line" | "template"> }) {
  const t = useTranslations("sessions");
  const format = useFormatter();
  const { filters, tz } = useFilters(serverTz);
  const time = useFormatTime(tz);
  const queryString = filtersToSearchParams({ range: filters.range, from: filters.from, to: filters.to, line: filters.line, template: filters.template, ...fixed, tz }).toString();
  const sessions = useQuery({
    queryKey: ["closed-sessions", queryString],
    queryFn: () => fetchJson<ClosedSessionPage>(`/api/sessions?${queryString}&limit=${SHOWN}`),
    refetchInterval: 30_000,
  });
  const none = <span className="text-muted-foreground">—</span>;
  return (
    <Card className="mt-5" data-testid="closed-sessions">
      <CardTitle>
        {t("title")} {sessions.data && <span className="text-xs font-normal text-muted-foreground">{t("inWindow", { count: sessions.data.total, tz })}</span>}
      </CardTitle>
      {sessions.isPending ? (
        <Skeleton height={80} what="closedSessions" />
      ) : sessions.isError ? (
        <QueryError error={sessions.error} onRetry={() => void sessions.refetch()} what="closedSessions" />
      ) : sessions.data.items.length === 0 ? (
        <p className="text-muted-foreground">{t("none")}</p>
      ) : (
        <>
          <TableScroll>
            <table className="min-w-[560px]">
              <thead>
                <tr>
                  <th>{t("closed", { tz })}</th>
                  <th>{t("session")}</th>
                  <th>{t("contact")}</th>
                  {!fixed.line && <th>{t("line")}</th>}
                  {!fixed.template && <th>{t("template")}</th>}
                  <th className="text-right">{t("messages")}</th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.items.map((s) => (
                  <tr key={s.id} data-testid="closed-session-row">
                    <td className="whitespace-nowrap">{time.full(s.closedAt)}</td>
                    <td>{s.externalId ?? none}</td>
                    <td>{s.phoneE164 ? <PhoneNumber phone={s.phoneE164} /> : [s.countryCode, s.cellphone].filter(Boolean).join(" ") || <span className="text-muted-foreground">{t("unknown")}</span>}</td>
                    {!fixed.line && (
                      <td>
                        <LineName line={s.line} />
                      </td>
                    )}
                    {!fixed.template && <td>{s.template ?? <span className="text-muted-foreground">{t("noTemplate")}</span>}</td>}
                    <td className="text-right tabular-nums">{s.messageCount ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {sessions.data.total > sessions.data.items.length && (
            <p className="text-xs text-muted-foreground">
              {t.rich("latestOf", { shown: sessions.data.items.length, total: format.number(sessions.data.total), code: (chunks) => <code>{chunks}</code> })}
            </p>
          )}
        </>
      )}
    </Card>
  );
}
