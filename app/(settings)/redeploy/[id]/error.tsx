"use client";

import { RouteError } from "@/components/route-states";

export default function SegmentError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError {...props} />;
}
