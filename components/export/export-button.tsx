"use client";

import { DownloadIcon } from "lucide-react";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { startCsvDownload } from "./download-csv";

type State = { phase: "idle" } | { phase: "counting" } | { phase: "started"; rows: number } | { phase: "error"; message: string };

/**
 * A CSV export of `href` (an /api/…/export URL), downloaded by the browser itself (streamed to
 * disk; its download list shows progress and can cancel). The button first counts the rows, so
 * it says how many the file holds; `expected` is what the view says meanwhile.
 */
export function ExportButton({ href, label, testId, expected }: { href: string; label: string; testId: string; expected?: number }) {
  const t = useTranslations("export");
  const format = useFormatter();
  const [state, setState] = useState<State>({ phase: "idle" });

  const start = async () => {
    setState({ phase: "counting" });
    try {
      const { rows } = await startCsvDownload(href);
      setState({ phase: "started", rows });
      toast.success(t("started", { rows }));
    } catch (err) {
      setState({ phase: "error", message: (err as Error).message });
      toast.error(t("failed", { message: (err as Error).message }));
    }
  };

  return (
    <span className="inline-flex flex-wrap items-center gap-2" data-testid={testId}>
      <Button type="button" variant="outline" size="sm" onClick={() => void start()} disabled={state.phase === "counting"} data-testid={`${testId}-start`}>
        <DownloadIcon aria-hidden /> {label}
      </Button>
      {state.phase === "counting" && (
        <span className="text-xs text-muted-foreground" role="status" data-testid={`${testId}-progress`}>
          {expected !== undefined ? t("preparingRows", { rows: format.number(expected) }) : t("preparing")}
        </span>
      )}
      {state.phase === "started" && (
        <span className="text-xs text-muted-foreground" role="status" data-testid={`${testId}-done`}>
          {t("downloading", { rows: state.rows })}
        </span>
      )}
      {state.phase === "error" && (
        <span className="text-destructive" role="alert" data-testid={`${testId}-error`}>
          {state.message}
        </span>
      )}
    </span>
  );
}
