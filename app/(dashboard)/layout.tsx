import { cookies } from "next/headers";
import { Suspense } from "react";
import { AppHeader } from "@/components/app-header";
import { FilterBar } from "@/components/filters/filter-bar";
import { LineLabelsSeed } from "@/components/line-labels-seed";
import { RoleProvider } from "@/components/session-role";
import { requirePageUser } from "@/lib/auth/page";
import { TZ_COOKIE } from "@/lib/filters";
import { isValidTimeZone } from "@/lib/time/zoned";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser();
  const cookieTz = (await cookies()).get(TZ_COOKIE)?.value;
  const serverTz = cookieTz && isValidTimeZone(cookieTz) ? cookieTz : "UTC";
  return (
    <RoleProvider role={user.role}>
      <AppHeader user={user} />
      <main className="mx-auto w-full max-w-[1200px] px-3 py-4 sm:px-6 sm:py-6">
        <LineLabelsSeed>
          <Suspense>
            <FilterBar serverTz={serverTz} />
          </Suspense>
          {children}
        </LineLabelsSeed>
      </main>
    </RoleProvider>
  );
}
