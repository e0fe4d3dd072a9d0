import type { Metadata } from "next";
import { QuarantineList } from "@/components/settings/quarantine-list";
import { SettingsTabs } from "@/components/settings/settings-tabs";
import { requirePageUser } from "@/lib/auth/page";
import { runRead } from "@/lib/read/pool";
import { settingsTimeZone } from "../time-zone";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Quarantine · Faultline" };

export default async function QuarantinePage() {
  const user = await requirePageUser("admin");
  const tz = await settingsTimeZone();
  return (
    <>
      <h1 className="page-title">Settings</h1>
      <SettingsTabs current="quarantine" admin />
      <QuarantineList firstPage={await runRead("quarantined", { limit: "50" }, { user: user.id })} tz={tz} />
    </>
  );
}
