import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { tabLinkClass, tabsListClass } from "@/components/ui/tabs";

/** Settings sub-navigation; the quarantine and the audit log are for admins only. */
export async function SettingsTabs({ current, admin }: { current: "general" | "quarantine" | "audit"; admin: boolean }) {
  const t = await getTranslations("settings");
  return (
    <nav className={`${tabsListClass} mb-4`} aria-label={t("sections")}>
      <Link href="/settings" className={tabLinkClass} aria-current={current === "general" ? "page" : undefined}>
        {t("general")}
      </Link>
      {admin && (
        <Link href="/settings/quarantine" className={tabLinkClass} aria-current={current === "quarantine" ? "page" : undefined}>
          {t("quarantine")}
        </Link>
      )}
      {admin && (
        <Link href="/settings/audit" className={tabLinkClass} aria-current={current === "audit" ? "page" : undefined}>
          {t("audit")}
        </Link>
      )}
    </nav>
  );
}
