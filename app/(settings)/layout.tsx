import { AppHeader } from "@/components/app-header";
import { RoleProvider } from "@/components/session-role";
import { LineLabelsSeed } from "@/components/line-labels-seed";
import { requirePageUser } from "@/lib/auth/page";

/** Signed-in pages without the dashboard's filter bar. */
export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser();
  return (
    <RoleProvider role={user.role}>
      <AppHeader user={user} />
      <main className="mx-auto w-full max-w-[1200px] px-3 py-4 sm:px-6 sm:py-6">
        <LineLabelsSeed>{children}</LineLabelsSeed>
      </main>
    </RoleProvider>
  );
}
