import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { AuditTable } from "@/components/settings/audit-table";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { listAudit } from "@/lib/auth/audit";
import { requirePageUser } from "@/lib/auth/page";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("settings");
  return { title: `${t("audit")} · Faultline` };
}

export default async function AuditPage() {
  await requirePageUser("admin");
  const tz = await settingsTimeZone();
  const t = await getTranslations("settings");
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("title")}</h1>
      <SettingsTabs current="audit" admin />
      <AuditTable firstPage={await listAudit({})} tz={tz} />
    </>
  );
}
