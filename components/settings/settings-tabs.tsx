import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { tabLinkClass, tabsListClass } from "@/components/ui/tabs";

/** Settings sub-navigation; the quarantine, alerts, the delivery log and the audit log are for admins only. */
export async function SettingsTabs({ current, admin }: { current: "general" | "quarantine" | "alerts" | "deliveries" | "audit"; admin: boolean }) {
  const t = await getTranslations("settings");
  const tab = (href: string, key: typeof current, label: string) => (
    <Link href={href} className={tabLinkClass} aria-current={current === key ? "page" : undefined}>
      {label}
    </Link>
  );
  return (
    <nav className={`${tabsListClass} mb-4`} aria-label={t("sections")}>
      {tab("/settings", "general", t("general"))}
      {admin && tab("/settings/quarantine", "quarantine", t("quarantine"))}
      {admin && tab("/settings/alerts", "alerts", t("alerts"))}
      {admin && tab("/settings/alerts/deliveries", "deliveries", t("deliveries"))}
      {admin && tab("/settings/audit", "audit", t("audit"))}
    </nav>
  );
}
