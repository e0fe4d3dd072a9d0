import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { QuarantineList } from "@/components/settings/quarantine-list";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { requirePageUser } from "@/lib/auth/page";
import { runRead } from "@/lib/read/pool";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("settings");
  return { title: `${t("quarantine")} · Faultline` };
}

export default async function QuarantinePage() {
  const user = await requirePageUser("admin");
  const tz = await settingsTimeZone();
  const t = await getTranslations("settings");
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("title")}</h1>
      <SettingsTabs current="quarantine" admin />
      <QuarantineList firstPage={await runRead("quarantined", { page: { limit: 50 } }, { user: user.id })} tz={tz} />
    </>
  );
}
