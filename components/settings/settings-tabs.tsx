import Link from "next/link";

/** Settings sub-navigation; the quarantine and the audit log are for admins only. */
export function SettingsTabs({ current, admin }: { current: "general" | "quarantine" | "audit"; admin: boolean }) {
  return (
    <nav className="nav tabs">
      <Link href="/settings" aria-current={current === "general" ? "page" : undefined}>
        General
      </Link>
      {admin && (
        <Link href="/settings/quarantine" aria-current={current === "quarantine" ? "page" : undefined}>
          Quarantine
        </Link>
      )}
      {admin && (
        <Link href="/settings/audit" aria-current={current === "audit" ? "page" : undefined}>
          Audit log
        </Link>
      )}
    </nav>
  );
}
