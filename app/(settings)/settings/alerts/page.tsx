import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { AlertsSettings } from "@/components/alerts/alerts-settings";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { listChannels } from "@/lib/alerts/channels";
import { listRules } from "@/lib/alerts/rules";
import { requirePageUser } from "@/lib/auth/page";
import { getSettings } from "@/lib/config";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("settings");
  return { title: `${t("alerts")} · Faultline` };
}

export default async function AlertsPage() {
  await requirePageUser("admin");
  const tz = await settingsTimeZone();
  const settings = getSettings();
  const t = await getTranslations("settings");
  const tAlerts = await getTranslations("alertSettings");
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("title")}</h1>
      <SettingsTabs current="alerts" admin />
      {!settings.PUBLIC_URL && (
        <div className="mb-4 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="alert" data-testid="public-url-warning">
          {tAlerts.rich("publicUrlMissing", {
            strong: (chunks) => <strong>{chunks}</strong>,
            code: (chunks) => <code>{chunks}</code>,
            local: `http://localhost:${settings.PORT}`,
          })}
        </div>
      )}
      <AlertsSettings channels={await listChannels()} rules={await listRules()} tz={tz} smtpConfigured={Boolean(settings.SMTP_URL)} />
    </>
  );
}
