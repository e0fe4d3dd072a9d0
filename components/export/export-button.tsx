"use client";

import { DownloadIcon, XIcon } from "lucide-react";
import { useFormatter, useTranslations } from "next-intl";
import { useRef, useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { downloadCsv } from "./download-csv";

type State = { phase: "idle" } | { phase: "running"; rows: number } | { phase: "done"; rows: number } | { phase: "error"; message: string };

/**
 * A CSV export of `href` (an /api/…/export URL): shows the rows received so far while it runs,
 * can be cancelled, and saves the file when complete. `expected` is what the view says it holds.
 */
export function ExportButton({ href, label, testId, expected }: { href: string; label: string; testId: string; expected?: number }) {
  const t = useTranslations("export");
  const format = useFormatter();
  const [state, setState] = useState<State>({ phase: "idle" });
  const controller = useRef<AbortController | null>(null);

  const start = async () => {
    const abort = new AbortController();
    controller.current = abort;
    setState({ phase: "running", rows: 0 });
    try {
      const { rows } = await downloadCsv(href, abort.signal, ({ rows }) => setState({ phase: "running", rows }));
      setState({ phase: "done", rows });
      toast.success(t("saved", { rows }));
    } catch (err) {
      if (abort.signal.aborted) setState({ phase: "idle" });
      else {
        setState({ phase: "error", message: (err as Error).message });
        toast.error(t("failed", { message: (err as Error).message }));
      }
    } finally {
      controller.current = null;
    }
  };

  return (
    <span className="inline-flex flex-wrap items-center gap-2" data-testid={testId}>
      {state.phase === "running" ? (
        <>
          <span role="status" data-testid={`${testId}-progress`}>
            {expected !== undefined
              ? t("progressOf", { rows: state.rows, expected: format.number(expected) })
              : t("progress", { rows: state.rows })}
          </span>
          <Button type="button" variant="outline" size="sm" onClick={() => controller.current?.abort()} data-testid={`${testId}-cancel`}>
            <XIcon aria-hidden /> {t("cancel")}
          </Button>
        </>
      ) : (
        <>
          <Button type="button" variant="outline" size="sm" onClick={() => void start()} data-testid={`${testId}-start`}>
            <DownloadIcon aria-hidden /> {label}
          </Button>
          {state.phase === "done" && (
            <span className="text-xs text-muted-foreground" role="status" data-testid={`${testId}-done`}>
              {t("savedShort", { rows: state.rows })}
            </span>
          )}
          {state.phase === "error" && (
            <span className="text-destructive" role="alert">
              {state.message}
            </span>
          )}
        </>
      )}
    </span>
  );
}
