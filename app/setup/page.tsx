import type { Metadata } from "next";
import { forbidden, redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { AuthCard } from "@/components/auth-card";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";
import { isValidSetupCode } from "@/lib/auth/setup-code";
import { countUsers } from "@/lib/auth/users";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("auth");
  return { title: `${t("setUpTitle")} · Faultline` };
}

/**
 * First run only, and only with the one-time code from the start log (403 without it): creates the
 * first admin. Once any account exists this closes for good.
 */
export default async function SetupPage({ searchParams }: { searchParams: Promise<{ code?: string | string[] }> }) {
  if ((await countUsers()) > 0) redirect("/login");
  const raw = (await searchParams).code;
  const code = typeof raw === "string" ? raw : null;
  if (!(await isValidSetupCode(code))) forbidden();
  const t = await getTranslations("auth");
  return (
    <AuthCard>
      <h1>{t("welcome")}</h1>
      <p className="mb-4 text-muted-foreground">{t("setUpHint")}</p>
      <SetupForm minPasswordLength={MIN_PASSWORD_LENGTH} code={code!} />
    </AuthCard>
  );
}
