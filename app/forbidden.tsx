import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { AuthCard } from "@/components/auth-card";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("auth");
  return { title: `${t("forbidden")} · Faultline` };
}

/** 403 (forbidden() in a page or action), e.g. /setup without the code from the start log. */
export default async function Forbidden() {
  const t = await getTranslations("auth");
  return (
    <AuthCard data-testid="forbidden">
      <h1>{t("forbidden")}</h1>
      <p className="text-muted-foreground">{t.rich("forbiddenHint", { code: (chunks) => <code>{chunks}</code> })}</p>
    </AuthCard>
  );
}
