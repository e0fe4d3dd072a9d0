import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { AuthCard } from "@/components/auth-card";
import { safeNextPath } from "@/lib/auth/navigation";
import { currentUser } from "@/lib/auth/page";
import { countUsers } from "@/lib/auth/users";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("auth");
  return { title: `${t("signInTitle")} · Faultline` };
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const raw = (await searchParams).next;
  const next = safeNextPath(typeof raw === "string" ? raw : null);
  if (await currentUser()) redirect(next);
  const t = await getTranslations("auth");
  // Before the first account exists there is nobody to sign in as; /setup needs the start log's code.
  if ((await countUsers()) === 0) {
    return (
      <AuthCard data-testid="not-set-up">
        <h1>{t("notSetUp")}</h1>
        <p className="text-muted-foreground">{t.rich("notSetUpHint", { code: (chunks) => <code>{chunks}</code> })}</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard>
      <h1>{t("signInHeading")}</h1>
      <LoginForm next={next} />
    </AuthCard>
  );
}
