import type { Metadata } from "next";
import { RedeployPanel } from "@/components/settings/redeploy-panel";
import { getDb } from "@/db/client";
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
import { ROLE_LABELS } from "@/lib/auth/roles";
import { listApiTokens } from "@/lib/auth/tokens";
import { listUsers } from "@/lib/auth/users";
import { getIncidentSettings } from "@/lib/incidents/settings";
import { webhookSecretStatus } from "@/lib/ingest/webhook-secret";
import { redeploySettings } from "@/lib/redeploy/settings";
import { settingsTimeZone } from "./time-zone";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Settings · Faultline" };

export default async function SettingsPage() {
  const user = await requirePageUser();
  const admin = user.role === "admin";
  const tz = await settingsTimeZone();
  // Admin-only data is read only for admins; everyone else gets neither the data nor the controls.
  const adminData = admin ? { ...webhookSecretStatus(), users: listUsers() } : null;
  return (
    <>
      <h1 className="page-title">Settings</h1>
      <SettingsTabs current="general" admin={admin} />
      <section className="panel" data-testid="account-panel">
        <h2>Your account</h2>
        <dl className="fields">
          <dt>E-mail</dt>
          <dd>{user.email}</dd>
          <dt>Name</dt>
          <dd>{user.name}</dd>
          <dt>Role</dt>
          <dd data-testid="account-role">{ROLE_LABELS[user.role]}</dd>
        </dl>
        {!admin && <p className="muted">Users, API tokens, the webhook secret and the field mapping are managed by admins.</p>}
      </section>
      {adminData && (
        <>
          <FailingChannelsBanner channels={listChannels()} />
          <WebhookPanel source={adminData.source} previousValidUntil={adminData.previousValidUntil} tz={tz} />
          <FieldMappingPanel initial={readFieldMapping(getDb())} />
          <UsersPanel initialUsers={adminData.users} currentUserId={user.id} />
          <TokensPanel initialTokens={listApiTokens()} users={adminData.users} currentUserId={user.id} tz={tz} />
          <RedeployPanel initial={redeploySettings()} />
          <IncidentSettingsPanel initial={getIncidentSettings()} />
        </>
      )}
    </>
  );
}
