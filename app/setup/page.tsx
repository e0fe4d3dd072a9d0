import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";
import { countUsers } from "@/lib/auth/users";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up · Faultline" };

/** First run only: whoever comes first creates the admin; once any account exists this closes. */
export default function SetupPage() {
  if (countUsers() > 0) redirect("/login");
  return (
    <main className="auth-page">
      <section className="panel auth-card">
        <h1>Welcome to Faultline</h1>
        <p className="muted">
          Create the first admin account. This page closes for good once it exists; more people are added under Settings
          afterwards.
        </p>
        <SetupForm minPasswordLength={MIN_PASSWORD_LENGTH} />
      </section>
    </main>
  );
}
