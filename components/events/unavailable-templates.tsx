"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormatter, useTranslations } from "next-intl";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import type { UnavailableTemplate } from "@/lib/queries/templates";

/**
 * Templates Meta will not send now (latest hsm.status PAUSED, DISABLED or REJECTED), shown
 * prominently on the overview: they explain FAILURE_BY_DISABLED_HSM spikes. Nothing when none.
 */
export function UnavailableTemplates({ serverTz }: { serverTz: string }) {
  const t = useTranslations("unavailableTemplates");
  const format = useFormatter();
  const { tz } = useFilters(serverTz);
  const query = useQuery({
    queryKey: ["templates-unavailable"],
    queryFn: () => fetchJson<{ items: UnavailableTemplate[] }>("/api/templates/unavailable"),
    refetchInterval: 30_000,
  });
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} what="templateStatuses" />;
  const items = query.data?.items ?? [];
  if (!items.length) return null;
  return (
    <div className="mb-4 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="status" data-testid="unavailable-templates">
      <strong>{t("title", { count: items.length })}</strong> {t("why")}
      <ul className="mt-1.5 list-disc pl-5">
        {items.slice(0, 10).map((x) => (
          <li key={x.template}>
            <Link href={`/templates/${encodeURIComponent(x.template)}`}>{x.template}</Link> — <strong>{x.status}</strong>{" "}
            {t("since", { at: format.dateTime(Date.parse(x.since), { timeZone: tz, dateStyle: "medium", timeStyle: "short" }), tz })}
          </li>
        ))}
        {items.length > 10 && <li>{t("more", { count: items.length - 10 })}</li>}
      </ul>
    </div>
  );
}
