"use client";

import { useRef, useState } from "react";
import { downloadCsv } from "./download-csv";

type State = { phase: "idle" } | { phase: "running"; rows: number } | { phase: "done"; rows: number } | { phase: "error"; message: string };

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * A CSV export of `href` (an /api/…/export URL): shows the rows received so far while it runs,
 * can be cancelled, and saves the file when complete. `expected` is what the view says it holds.
 */
export function ExportButton({ href, label, testId, expected }: { href: string; label: string; testId: string; expected?: number }) {
  const [state, setState] = useState<State>({ phase: "idle" });
  const controller = useRef<AbortController | null>(null);

  const start = async () => {
    const abort = new AbortController();
    controller.current = abort;
    setState({ phase: "running", rows: 0 });
    try {
      const { rows } = await downloadCsv(href, abort.signal, ({ rows }) => setState({ phase: "running", rows }));
      setState({ phase: "done", rows });
    } catch (err) {
      setState(abort.signal.aborted ? { phase: "idle" } : { phase: "error", message: (err as Error).message });
    } finally {
      controller.current = null;
    }
  };

  return (
    <span className="export-control" data-testid={testId}>
      {state.phase === "running" ? (
        <>
          <span role="status" data-testid={`${testId}-progress`}>
            Exporting… {fmt(state.rows)}
            {expected !== undefined ? ` of ${fmt(expected)}` : ""} rows
          </span>{" "}
          <button type="button" onClick={() => controller.current?.abort()} data-testid={`${testId}-cancel`}>
            Cancel
          </button>
        </>
      ) : (
        <>
          <button type="button" onClick={() => void start()} data-testid={`${testId}-start`}>
            {label}
          </button>
          {state.phase === "done" && (
            <span className="muted small" role="status" data-testid={`${testId}-done`}>
              {" "}
              Saved {fmt(state.rows)} rows
            </span>
          )}
          {state.phase === "error" && (
            <span className="error-inline" role="alert">
              {" "}
              {state.message}
            </span>
          )}
        </>
      )}
    </span>
  );
}
