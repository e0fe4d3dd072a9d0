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
  // Before the first account exists there is nobody to sign in as; /setup needs the start log's code.
  if (countUsers() === 0) {
    return (
      <main className="auth-page">
        <section className="panel auth-card" data-testid="not-set-up">
          <h1>Faultline is not set up yet</h1>
          <p className="muted">
            No account exists. Open the setup URL printed in the server&apos;s start log (<code>/setup?code=…</code>) to create
            the first admin, or start the server with <code>ADMIN_EMAIL</code> and <code>ADMIN_PASSWORD</code>.
          </p>
        </section>
      </main>
    );
  }
  return (
    <main className="auth-page">
      <section className="panel auth-card">
        <h1>Sign in to Faultline</h1>
        <LoginForm next={next} />
      </section>
    </main>
  );
}
