import type { Metadata } from "next";
import { AuditTable } from "@/components/settings/audit-table";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { listAudit } from "@/lib/auth/audit";
import { requirePageUser } from "@/lib/auth/page";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Audit log · Faultline" };

export default async function AuditPage() {
  await requirePageUser("admin");
  const tz = await settingsTimeZone();
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">Settings</h1>
      <SettingsTabs current="audit" admin />
      <AuditTable firstPage={listAudit({})} tz={tz} />
    </>
  );
}
