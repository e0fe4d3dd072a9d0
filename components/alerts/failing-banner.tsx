import Link from "next/link";
import { useTranslations } from "next-intl";
import type { ChannelSummary } from "@/lib/alerts/channels";

/** Admins see channels that have failed for 24 h or more (or were disabled by a 410). */
export function FailingChannelsBanner({ channels }: { channels: Array<Pick<ChannelSummary, "id" | "name" | "failing" | "disabledReason">> }) {
  const t = useTranslations("alertSettings");
  const failing = channels.filter((c) => c.failing || c.disabledReason);
  if (!failing.length) return null;
  return (
    <div className="query-error" role="alert" data-testid="failing-channels">
      <strong>{t("needAttention")}</strong> {failing.map((c) => (c.disabledReason ? t("wasDisabled", { name: c.name }) : t("hasFailed", { name: c.name }))).join("; ")}.{" "}
      <Link href="/settings/alerts/deliveries">{t("openDeliveryLog")}</Link>
    </div>
  );
}
