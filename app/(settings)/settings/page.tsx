import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { RedeployPanel } from "@/components/settings/redeploy-panel";
import { FieldMappingPanel } from "@/components/settings/field-mapping-panel";
import { IncidentSettingsPanel } from "@/components/settings/incident-settings-panel";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { readFieldMapping } from "@/lib/ingest/field-mapping";
import { FailingChannelsBanner } from "@/components/alerts/failing-banner";
import { listChannels } from "@/lib/alerts/channels";
import { TokensPanel } from "@/components/settings/tokens-panel";
import { UsersPanel } from "@/components/settings/users-panel";
import { WebhookPanel } from "@/components/settings/webhook-panel";
import { requirePageUser } from "@/lib/auth/page";
import { listApiTokens } from "@/lib/auth/tokens";
import { listUsers } from "@/lib/auth/users";
import { getIncidentSettings } from "@/lib/incidents/settings";
import { webhookSecretStatus } from "@/lib/ingest/webhook-secret";
import { redeploySettings } from "@/lib/redeploy/settings";
import { settingsTimeZone } from "./time-zone";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("nav");
  return { title: `${t("settings")} · Faultline` };
}

export default async function SettingsPage() {
  const user = await requirePageUser();
  const t = await getTranslations("settings");
  const tRole = await getTranslations("roleDescriptions");
  const admin = user.role === "admin";
  const tz = await settingsTimeZone();
  // Admin-only data is read only for admins; everyone else gets neither the data nor the controls.
  const adminData = admin ? { ...(await webhookSecretStatus()), users: await listUsers() } : null;
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">{t("title")}</h1>
      <SettingsTabs current="general" admin={admin} />
      <section className="mb-5 min-w-0 rounded-lg border bg-card p-4 shadow-xs sm:p-5" data-testid="account-panel">
        <h2 className="mb-3">{t("account")}</h2>
        <dl className="m-0 grid grid-cols-1 gap-x-3 gap-y-1.5 sm:grid-cols-[180px_1fr] [&_dd]:m-0 [&_dd]:break-words [&_dt]:text-muted-foreground">
          <dt>{t("email")}</dt>
          <dd>{user.email}</dd>
          <dt>{t("name")}</dt>
          <dd>{user.name}</dd>
          <dt>{t("role")}</dt>
          <dd data-testid="account-role">{tRole(user.role)}</dd>
        </dl>
        {!admin && <p className="text-muted-foreground">{t("adminsManage")}</p>}
      </section>
      {adminData && (
        <>
          <FailingChannelsBanner channels={await listChannels()} />
          <WebhookPanel source={adminData.source} previousValidUntil={adminData.previousValidUntil} tz={tz} />
          <FieldMappingPanel initial={await readFieldMapping()} />
          <UsersPanel initialUsers={adminData.users} currentUserId={user.id} />
          <TokensPanel initialTokens={await listApiTokens()} users={adminData.users} currentUserId={user.id} tz={tz} />
          <RedeployPanel initial={await redeploySettings()} />
          <IncidentSettingsPanel initial={await getIncidentSettings()} />
        </>
      )}
    </>
  );
}
