import { cookies } from "next/headers";
import Link from "next/link";
import { Suspense } from "react";
import { FilterBar } from "@/components/filters/filter-bar";
import { NavLinks } from "@/components/nav-links";
import { TZ_COOKIE } from "@/lib/filters";
import { isValidTimeZone } from "@/lib/time/zoned";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const cookieTz = (await cookies()).get(TZ_COOKIE)?.value;
  const serverTz = cookieTz && isValidTimeZone(cookieTz) ? cookieTz : "UTC";
  return (
    <>
      <header className="top">
        <Link href="/" className="brand">
          Faultline
        </Link>
        <Suspense>
          <NavLinks />
        </Suspense>
      </header>
      <main>
        <Suspense>
          <FilterBar serverTz={serverTz} />
        </Suspense>
        {children}
      </main>
    </>
  );
}
