import Link from "next/link";
import { getTranslations } from "next-intl/server";

/** A page whose URL holds an invalid filter says which one, instead of showing wrong numbers. */
export async function InvalidFilters({ message }: { message: string }) {
  const t = await getTranslations("invalidFilters");
  return (
    <section className="mb-4 rounded-lg border border-destructive/40 bg-destructive/10 px-4 py-3" role="alert" data-testid="invalid-filters">
      <strong>{t("title")}</strong> {message}. <Link href="?">{t("reset")}</Link>
    </section>
  );
}
