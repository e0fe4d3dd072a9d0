import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { DeliveryLog } from "@/components/alerts/delivery-log";
import { FailingChannelsBanner } from "@/components/alerts/failing-banner";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { listChannels } from "@/lib/alerts/channels";
import { listDeliveries } from "@/lib/alerts/deliveries";
import { listRules } from "@/lib/alerts/rules";
import { requirePageUser } from "@/lib/auth/page";
import { settingsTimeZone } from "../../time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("settings");
  return { title: `${t("deliveries")} · Faultline` };
}

export default async function DeliveriesPage() {
  await requirePageUser("admin");
  const tz = await settingsTimeZone();
  const [channels, rules, firstPage] = await Promise.all([listChannels(), listRules(), listDeliveries(new URLSearchParams({ limit: "100" }))]);
  const t = await getTranslations("settings");
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("title")}</h1>
      <SettingsTabs current="deliveries" admin />
      <FailingChannelsBanner channels={channels} />
      <DeliveryLog
        firstPage={firstPage}
        channels={Object.fromEntries(channels.map((c) => [c.id, c.name]))}
        rules={Object.fromEntries(rules.map((r) => [r.id, r.name]))}
        tz={tz}
      />
    </>
  );
}
