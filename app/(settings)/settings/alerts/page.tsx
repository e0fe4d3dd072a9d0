import type { Metadata } from "next";
import { AlertsSettings } from "@/components/alerts/alerts-settings";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { listChannels } from "@/lib/alerts/channels";
import { listRules } from "@/lib/alerts/rules";
import { requirePageUser } from "@/lib/auth/page";
import { getSettings } from "@/lib/config";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Alerts · Faultline" };

export default async function AlertsPage() {
  await requirePageUser("admin");
  const tz = await settingsTimeZone();
  const settings = getSettings();
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">Settings</h1>
      <SettingsTabs current="alerts" admin />
      {!settings.PUBLIC_URL && (
        <div className="mb-4 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="alert" data-testid="public-url-warning">
          <strong>PUBLIC_URL is not set:</strong> links in notifications point at <code>http://localhost:{settings.PORT}</code>, which recipients cannot open. Set
          PUBLIC_URL to the address people use to reach Faultline.
        </div>
      )}
      <AlertsSettings channels={listChannels()} rules={listRules()} tz={tz} smtpConfigured={Boolean(settings.SMTP_URL)} />
    </>
  );
}
