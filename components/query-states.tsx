"use client";

import { RotateCwIcon } from "lucide-react";
import { useTranslations } from "next-intl";
import { Button } from "@/components/ui/button";
import { Skeleton as SkeletonBox } from "@/components/ui/skeleton";

/** What a panel loads, named in the "loadable" messages (for "Loading …" and "Could not load …"). */
export type Loadable =
  | "overview"
  | "timeline"
  | "statusHistory"
  | "counts"
  | "incident"
  | "incidents"
  | "failure"
  | "failures"
  | "trend"
  | "plan"
  | "closedSessions"
  | "templateStatuses"
  | "deliveries"
  | "alerts"
  | "page";

/** Loading, error and empty states shared by every data view: never a silent "0". */
export function Skeleton({ height = 120, what }: { height?: number; what?: Loadable }) {
  const t = useTranslations("states");
  const tWhat = useTranslations("loadable");
  const label = what ? t("loadingWhat", { what: tWhat(what) }) : t("loading");
  return (
    <SkeletonBox className="mb-4 w-full rounded-lg" style={{ height }} role="status" aria-busy="true" aria-label={label}>
      <span className="sr-only">{label}</span>
    </SkeletonBox>
  );
}

export function QueryError({ error, onRetry, what }: { error: unknown; onRetry: () => void; what: Loadable }) {
  const t = useTranslations("states");
  const tWhat = useTranslations("loadable");
  return (
    <div className="mb-4 flex flex-wrap items-center gap-2 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3 text-foreground" role="alert" data-testid="query-error">
      <strong>{t("couldNotLoad", { what: tWhat(what) })}</strong>{" "}
      <span className="text-muted-foreground">{error instanceof Error ? error.message : t("unknownError")}</span>
      <Button type="button" variant="outline" size="sm" onClick={onRetry}>
        <RotateCwIcon aria-hidden /> {t("retry")}
      </Button>
    </div>
  );
}
