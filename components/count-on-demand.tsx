"use client";

import { useQuery, type UseQueryResult } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { Button } from "@/components/ui/button";
import { fetchJson } from "@/lib/api-client";

/**
 * A count asked for with a click rather than on every refresh (one heavy read, seconds at most):
 * kept for the view it counted (`key`) until the view changes or it is asked again.
 */
export function useCountOnDemand<T>(key: readonly unknown[], path: string): UseQueryResult<T> {
  return useQuery({ queryKey: ["count-on-demand", ...key], queryFn: () => fetchJson<T>(path), enabled: false, staleTime: Infinity });
}

/**
 * What stands beside a figure a refresh leaves uncounted: Count; Counting… while the read runs;
 * when and Recount once counted (the figure itself is the caller's); the error and Retry.
 */
export function CountAction({ query, tz, title, testId }: { query: UseQueryResult<unknown>; tz: string; title: string; testId: string }) {
  const t = useTranslations("countOnDemand");
  const format = useFormatter();
  const ask = () => void query.refetch();
  if (query.isFetching) {
    return (
      <span className="text-xs text-muted-foreground" role="status" data-testid={`${testId}-running`}>
        {t("counting")}
      </span>
    );
  }
  if (query.isError) {
    return (
      <span className="inline-flex flex-wrap items-center gap-2">
        <span className="text-xs text-destructive" role="alert" data-testid={`${testId}-error`}>
          {query.error.message}
        </span>
        <Button type="button" variant="outline" size="xs" onClick={ask}>
          {t("retry")}
        </Button>
      </span>
    );
  }
  if (query.data !== undefined) {
    return (
      <span className="inline-flex flex-wrap items-center gap-x-1 text-xs text-muted-foreground" data-testid={`${testId}-done`}>
        {t("countedAt", { at: format.dateTime(query.dataUpdatedAt, { timeZone: tz, timeStyle: "short" }), tz })}
        <Button type="button" variant="link" size="xs" onClick={ask}>
          {t("recount")}
        </Button>
      </span>
    );
  }
  return (
    <Button type="button" variant="outline" size="xs" onClick={ask} title={title} data-testid={testId}>
      {t("count")}
    </Button>
  );
}
