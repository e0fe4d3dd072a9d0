"use client";

import { MenuIcon } from "lucide-react";
import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Sheet, SheetContent, SheetTitle, SheetTrigger } from "@/components/ui/sheet";
import { hasRole, type Role } from "@/lib/auth/roles";
import { FILTER_KEYS } from "@/lib/filters";
import { cn } from "@/lib/utils";

export const NAV_LINKS = [
  { href: "/", key: "overview", keepsFilters: true },
  { href: "/failures", key: "failures", keepsFilters: true },
  { href: "/incidents", key: "incidents", keepsFilters: true },
  { href: "/reasons", key: "reasons", keepsFilters: true },
  { href: "/redeploy", key: "redeploy", keepsFilters: false, role: "operator" },
  { href: "/settings", key: "settings", keepsFilters: false },
] as const satisfies ReadonlyArray<{ href: string; key: string; keepsFilters: boolean; role?: Role }>;

/** Top navigation; dashboard links keep the current filters so switching views keeps the slice. */
export function NavLinks({ role, vertical = false, onNavigate }: { role: Role; vertical?: boolean; onNavigate?: () => void }) {
  const t = useTranslations("nav");
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const kept = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = searchParams.get(key);
    if (value) kept.set(key, value);
  }
  const query = kept.toString();
  return (
    <ul className={cn("flex gap-1", vertical ? "flex-col" : "items-center")}>
      {NAV_LINKS.filter((l) => !("role" in l) || hasRole(role, l.role)).map((l) => {
        const active = l.href === "/" ? pathname === "/" : pathname.startsWith(l.href);
        return (
          <li key={l.href}>
            <Link
              href={query && l.keepsFilters ? `${l.href}?${query}` : l.href}
              aria-current={active ? "page" : undefined}
              onClick={onNavigate}
              className="block rounded-md px-3 py-1.5 font-medium text-muted-foreground no-underline hover:bg-accent hover:text-accent-foreground hover:no-underline aria-[current=page]:bg-accent aria-[current=page]:text-accent-foreground"
            >
              {t(l.key)}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

/** On narrow screens the navigation folds into a side sheet. */
export function MobileNav({ role }: { role: Role }) {
  const t = useTranslations("nav");
  const [open, setOpen] = useState(false);
  return (
    <Sheet open={open} onOpenChange={setOpen}>
      <SheetTrigger asChild>
        <Button variant="ghost" size="icon" className="md:hidden" aria-label={t("openMenu")}>
          <MenuIcon aria-hidden />
        </Button>
      </SheetTrigger>
      <SheetContent side="left" closeLabel={t("close")} aria-describedby={undefined}>
        <SheetTitle>Faultline</SheetTitle>
        <nav aria-label={t("main")}>
          <NavLinks role={role} vertical onNavigate={() => setOpen(false)} />
        </nav>
      </SheetContent>
    </Sheet>
  );
}
