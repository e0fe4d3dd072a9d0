"use client";

import { RotateCwIcon } from "lucide-react";
import { useTranslations } from "next-intl";
import { useEffect } from "react";
import { Button } from "@/components/ui/button";
import { Skeleton } from "./query-states";

/** What a route segment's loading.tsx shows while its page renders on the server. */
export function RouteLoading() {
  return (
    <div data-testid="route-loading">
      <Skeleton height={36} what="page" />
      <Skeleton height={320} what="page" />
    </div>
  );
}

/** What a route segment's error.tsx shows when its page fails: the header and navigation stay usable. */
export function RouteError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const t = useTranslations("states");
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="mb-4 flex flex-col items-start gap-3 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-4" role="alert" data-testid="route-error">
      <strong>{t("pageError")}</strong>
      <span className="text-muted-foreground">{error.digest ? `${error.message} (${error.digest})` : error.message}</span>
      <Button type="button" variant="outline" size="sm" onClick={reset}>
        <RotateCwIcon aria-hidden /> {t("retry")}
      </Button>
    </div>
  );
}
