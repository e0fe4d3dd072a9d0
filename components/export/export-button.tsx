"use client";

import { useState } from "react";
import { startCsvDownload } from "./download-csv";

type State = { phase: "idle" } | { phase: "counting" } | { phase: "started"; rows: number } | { phase: "error"; message: string };

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * A CSV export of `href` (an /api/…/export URL), downloaded by the browser itself (streamed to
 * disk; its download list shows progress and can cancel). The button first counts the rows, so
 * it says how many the file holds; `expected` is what the view says meanwhile.
 */
export function ExportButton({ href, label, testId, expected }: { href: string; label: string; testId: string; expected?: number }) {
  const [state, setState] = useState<State>({ phase: "idle" });

  const start = async () => {
    setState({ phase: "counting" });
    try {
      const { rows } = await startCsvDownload(href);
      setState({ phase: "started", rows });
    } catch (err) {
      setState({ phase: "error", message: (err as Error).message });
    }
  };

  return (
    <span className="export-control" data-testid={testId}>
      <button type="button" onClick={() => void start()} disabled={state.phase === "counting"} data-testid={`${testId}-start`}>
        {label}
      </button>
      {state.phase === "counting" && (
        <span className="muted small" role="status" data-testid={`${testId}-progress`}>
          {" "}
          Preparing{expected !== undefined ? ` ${fmt(expected)} rows` : ""}…
        </span>
      )}
      {state.phase === "started" && (
        <span className="muted small" role="status" data-testid={`${testId}-done`}>
          {" "}
          Downloading {fmt(state.rows)} rows: your browser saves the file as it arrives (see its downloads)
        </span>
      )}
      {state.phase === "error" && (
        <span className="error-inline" role="alert" data-testid={`${testId}-error`}>
          {" "}
          {state.message}
        </span>
      )}
    </span>
  );
}
