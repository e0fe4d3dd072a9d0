import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { safeNextPath } from "@/lib/auth/navigation";
import { currentUser } from "@/lib/auth/page";
import { countUsers } from "@/lib/auth/users";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Faultline" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const raw = (await searchParams).next;
  const next = safeNextPath(typeof raw === "string" ? raw : null);
  if (await currentUser()) redirect(next);
  // Before the first account exists there is nobody to sign in as.
  if (countUsers() === 0) redirect("/setup");
  return (
    <main className="auth-page">
      <section className="panel auth-card">
        <h1>Sign in to Faultline</h1>
        <LoginForm next={next} />
      </section>
    </main>
  );
}
