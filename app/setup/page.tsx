import type { Metadata } from "next";
import { forbidden, redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";
import { isValidSetupCode } from "@/lib/auth/setup-code";
import { countUsers } from "@/lib/auth/users";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up · Faultline" };

/**
 * First run only, and only with the one-time code from the start log (403 without it): creates the
 * first admin. Once any account exists this closes for good.
 */
export default async function SetupPage({ searchParams }: { searchParams: Promise<{ code?: string | string[] }> }) {
  if (countUsers() > 0) redirect("/login");
  const raw = (await searchParams).code;
  const code = typeof raw === "string" ? raw : null;
  if (!isValidSetupCode(getDb().db, code)) forbidden();
  return (
    <main className="auth-page">
      <section className="panel auth-card">
        <h1>Welcome to Faultline</h1>
        <p className="muted">
          Create the first admin account. This page closes for good once it exists; more people are added under Settings
          afterwards.
        </p>
        <SetupForm minPasswordLength={MIN_PASSWORD_LENGTH} code={code!} />
      </section>
    </main>
  );
}
