import Link from "next/link";

/** Settings sub-navigation; the audit log is for admins only. */
export function SettingsTabs({ current, admin }: { current: "general" | "audit"; admin: boolean }) {
  return (
    <nav className="nav tabs">
      <Link href="/settings" aria-current={current === "general" ? "page" : undefined}>
        General
      </Link>
      {admin && (
        <Link href="/settings/audit" aria-current={current === "audit" ? "page" : undefined}>
          Audit log
        </Link>
      )}
    </nav>
  );
}
