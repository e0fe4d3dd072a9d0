"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFilters } from "@/components/filters/use-filters";
import { QueryError } from "@/components/query-states";
import { fetchJson } from "@/lib/api-client";
import type { UnavailableTemplate } from "@/lib/queries/templates";
import { formatInTimeZone } from "@/lib/time/format";

/**
 * Templates Meta will not send now (latest hsm.status PAUSED, DISABLED or REJECTED), shown
 * prominently on the overview: they explain FAILURE_BY_DISABLED_HSM spikes. Nothing when none.
 */
export function UnavailableTemplates({ serverTz }: { serverTz: string }) {
  const { tz } = useFilters(serverTz);
  const query = useQuery({
    queryKey: ["templates-unavailable"],
    queryFn: () => fetchJson<{ items: UnavailableTemplate[] }>("/api/templates/unavailable"),
    refetchInterval: 30_000,
  });
  if (query.isError) return <QueryError error={query.error} onRetry={() => void query.refetch()} what="template statuses" />;
  const items = query.data?.items ?? [];
  if (!items.length) return null;
  return (
    <div className="banner banner-danger" role="status" data-testid="unavailable-templates">
      <strong>
        {items.length === 1 ? "1 template cannot be sent now" : `${items.length} templates cannot be sent now`}
      </strong>{" "}
      (Meta paused, disabled or rejected them; sends fail with FAILURE_BY_DISABLED_HSM):
      <ul>
        {items.slice(0, 10).map((t) => (
          <li key={t.template}>
            <Link href={`/templates/${encodeURIComponent(t.template)}`}>{t.template}</Link> — <strong>{t.status}</strong> since{" "}
            {formatInTimeZone(Date.parse(t.since), tz, "full")} {tz}
          </li>
        ))}
        {items.length > 10 && <li>… and {items.length - 10} more</li>}
      </ul>
    </div>
  );
}
