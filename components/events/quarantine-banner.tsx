import Link from "next/link";
import { getTranslations } from "next-intl/server";

/** On the overview while any event is quarantined: received and kept, but not counted. */
export async function QuarantineBanner({ count, admin }: { count: number; admin: boolean }) {
  const t = await getTranslations("quarantineBanner");
  if (count === 0) return null;
  return (
    <div className="mb-4 rounded-lg border border-warning-foreground/30 bg-warning px-4 py-3 text-warning-foreground" role="status" data-testid="quarantine-banner">
      <strong>{t("title", { count })}</strong>: {t("why")}{" "}
      {admin
        ? t.rich("adminHint", {
            review: (chunks) => <Link href="/settings/quarantine">{chunks}</Link>,
            settings: (chunks) => <Link href="/settings#field-mapping">{chunks}</Link>,
          })
        : t("viewerHint")}
    </div>
  );
}
