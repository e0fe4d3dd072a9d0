import { AppHeader } from "@/components/app-header";
import { LineLabelsSeed } from "@/components/line-labels-seed";
import { requirePageUser } from "@/lib/auth/page";

/** Signed-in pages without the dashboard's filter bar. */
export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser();
  return (
    <>
      <AppHeader user={user} />
      <main>
        <LineLabelsSeed>{children}</LineLabelsSeed>
      </main>
    </>
  );
}
