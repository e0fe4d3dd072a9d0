import Link from "next/link";
import { Suspense } from "react";
import { signOutAction } from "@/app/auth-actions";
import type { AuthUser } from "@/lib/auth/session";
import { NavLinks } from "./nav-links";

/** The top bar of every signed-in page: navigation, and who is signed in with a way out. */
export function AppHeader({ user }: { user: AuthUser }) {
  return (
    <header className="top">
      <Link href="/" className="brand">
        Faultline
      </Link>
      <Suspense>
        <NavLinks role={user.role} />
      </Suspense>
      <details className="user-menu" data-testid="user-menu">
        <summary>
          <span data-testid="user-email">{user.email}</span> <span className={`role role-${user.role}`}>{user.role}</span>
        </summary>
        <div className="user-menu-panel">
          <Link href="/settings">Your account</Link>
          <form action={signOutAction}>
            <button type="submit" className="link">
              Sign out
            </button>
          </form>
        </div>
      </details>
    </header>
  );
}
