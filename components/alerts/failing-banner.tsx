import Link from "next/link";
import type { ChannelSummary } from "@/lib/alerts/channels";

/** Admins see channels that have failed for 24 h or more (or were disabled by a 410). */
export function FailingChannelsBanner({ channels }: { channels: Array<Pick<ChannelSummary, "id" | "name" | "failing" | "disabledReason">> }) {
  const failing = channels.filter((c) => c.failing || c.disabledReason);
  if (!failing.length) return null;
  return (
    <div className="query-error" role="alert" data-testid="failing-channels">
      <strong>Alert channels need attention:</strong>{" "}
      {failing.map((c) => `"${c.name}" ${c.disabledReason ? "was disabled (410 Gone)" : "has failed for 24 h"}`).join("; ")}.{" "}
      <Link href="/settings/alerts/deliveries">Open the delivery log</Link>
    </div>
  );
}
