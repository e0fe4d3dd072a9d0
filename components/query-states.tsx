"use client";

/** Loading, error and empty states shared by every data view: never a silent "0". */
export function Skeleton({ height = 120, label = "Loading…" }: { height?: number; label?: string }) {
  return (
    <div className="skeleton" style={{ height }} aria-busy="true" aria-label={label}>
      <span className="sr-only">{label}</span>
    </div>
  );
}

export function QueryError({ error, onRetry, what }: { error: unknown; onRetry: () => void; what: string }) {
  return (
    <div className="query-error" role="alert" data-testid="query-error">
      <strong>Could not load {what}.</strong> <span className="muted">{error instanceof Error ? error.message : "Unknown error"}</span>{" "}
      <button type="button" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}
