"use client";

import { useRouter } from "next/navigation";
import { Component, Suspense, type ErrorInfo } from "react";
import { QueryError, Skeleton, type Loadable } from "./query-states";

interface BoundaryProps {
  what: Loadable;
  onRetry: () => void;
  children: React.ReactNode;
}

/** Catches what one panel throws (a failing server query), so the other panels still render. */
class PanelErrorBoundary extends Component<BoundaryProps, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error("panel failed", error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return (
        <QueryError
          error={this.state.error}
          what={this.props.what}
          onRetry={() => {
            this.setState({ error: null });
            this.props.onRetry();
          }}
        />
      );
    }
    return this.props.children;
  }
}

/**
 * One panel of a page: its own skeleton while it loads (Suspense, streamed from the server) and
 * its own error with a retry when it fails, while the rest of the page renders.
 */
export function Panel({ what, height = 240, fallback, children }: { what: Loadable; height?: number; fallback?: React.ReactNode; children: React.ReactNode }) {
  const router = useRouter();
  return (
    <PanelErrorBoundary what={what} onRetry={() => router.refresh()}>
      <Suspense fallback={fallback ?? <Skeleton height={height} what={what} />}>{children}</Suspense>
    </PanelErrorBoundary>
  );
}
