import Link from "next/link";

/** Settings sub-navigation; the quarantine, alerts, the delivery log and the audit log are for admins only. */
export function SettingsTabs({ current, admin }: { current: "general" | "quarantine" | "alerts" | "deliveries" | "audit"; admin: boolean }) {
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
