"use client";

import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import { hasRole, type Role } from "@/lib/auth/roles";
import { FILTER_KEYS } from "@/lib/filters";

const LINKS: Array<{ href: string; label: string; keepsFilters: boolean; role?: Role }> = [
  { href: "/", label: "Overview", keepsFilters: true },
  { href: "/failures", label: "Failures", keepsFilters: true },
  { href: "/incidents", label: "Incidents", keepsFilters: true },
  { href: "/reasons", label: "Reasons", keepsFilters: true },
  { href: "/redeploy", label: "Re-deploy", keepsFilters: false, role: "operator" },
  { href: "/settings", label: "Settings", keepsFilters: false },
];

/** Top navigation; dashboard links keep the current filters so switching views keeps the slice. */
export function NavLinks({ role }: { role: Role }) {
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const kept = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = searchParams.get(key);
    if (value) kept.set(key, value);
  }
  const query = kept.toString();
  return (
    <nav className="nav">
      {LINKS.filter((l) => !l.role || hasRole(role, l.role)).map((l) => {
        const active = l.href === "/" ? pathname === "/" : pathname.startsWith(l.href);
        return (
          <Link key={l.href} href={query && l.keepsFilters ? `${l.href}?${query}` : l.href} aria-current={active ? "page" : undefined}>
            {l.label}
          </Link>
        );
      })}
    </nav>
  );
}
