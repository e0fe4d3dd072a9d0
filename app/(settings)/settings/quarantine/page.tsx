import type { Metadata } from "next";
import { QuarantineList } from "@/components/settings/quarantine-list";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { requirePageUser } from "@/lib/auth/page";
import { listQuarantined } from "@/lib/queries/quarantine";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Quarantine · Faultline" };

export default async function QuarantinePage() {
  await requirePageUser("admin");
  const tz = await settingsTimeZone();
  return (
    <>
      <h1 className="mt-1 mb-3.5 text-xl font-semibold">Settings</h1>
      <SettingsTabs current="quarantine" admin />
      <QuarantineList firstPage={listQuarantined({ limit: "50" })} tz={tz} />
    </>
  );
}
