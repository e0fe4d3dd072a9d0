import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { Suspense } from "react";
import { signOutAction } from "@/app/auth-actions";
import type { AuthUser } from "@/lib/auth/session";
import { CommandPalette } from "./command-palette";
import { MobileNav, NavLinks } from "./nav-links";
import { UserMenu } from "./user-menu";

/** The top bar of every signed-in page: navigation, the command palette, and the user's menu. */
export async function AppHeader({ user }: { user: AuthUser }) {
  const t = await getTranslations("nav");
  return (
    <header className="sticky top-0 z-40 border-b bg-card/95 backdrop-blur supports-[backdrop-filter]:bg-card/80">
      <div className="mx-auto flex h-14 max-w-[1200px] items-center gap-2 px-3 sm:gap-4 sm:px-6">
        <Suspense>
          <MobileNav role={user.role} />
        </Suspense>
        <Link href="/" className="text-base font-bold text-foreground no-underline hover:no-underline">
          Faultline
        </Link>
        <nav aria-label={t("main")} className="hidden min-w-0 md:block">
          <Suspense>
            <NavLinks role={user.role} />
          </Suspense>
        </nav>
        <div className="ml-auto flex items-center gap-1 sm:gap-2">
          <CommandPalette />
          {/* Imported here, on the server, so every signed-in page serves the module's actions
              itself: Next would otherwise forward one posted to this page to another route with
              an extra internal request, which the sign-in rate limit would count twice. */}
          <UserMenu email={user.email} role={user.role} signOut={signOutAction} />
        </div>
      </div>
    </header>
  );
}
