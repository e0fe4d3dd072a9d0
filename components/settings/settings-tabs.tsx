import Link from "next/link";

/** Settings sub-navigation; alerts, the delivery log and the audit log are for admins only. */
export function SettingsTabs({ current, admin }: { current: "general" | "audit" | "alerts" | "deliveries"; admin: boolean }) {
  return (
    <nav className="nav tabs">
      <Link href="/settings" aria-current={current === "general" ? "page" : undefined}>
        General
      </Link>
      {admin && (
        <Link href="/settings/alerts" aria-current={current === "alerts" ? "page" : undefined}>
          Alerts
        </Link>
      )}
      {admin && (
        <Link href="/settings/alerts/deliveries" aria-current={current === "deliveries" ? "page" : undefined}>
          Delivery log
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
