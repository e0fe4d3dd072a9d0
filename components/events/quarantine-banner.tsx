import Link from "next/link";

/** On the overview while any event is quarantined: received and kept, but not counted. */
export function QuarantineBanner({ count, admin }: { count: number; admin: boolean }) {
  if (count === 0) return null;
  const events = count === 1 ? "1 received event is" : `${count.toLocaleString("en-US")} received events are`;
  return (
    <div className="banner banner-warning" role="status" data-testid="quarantine-banner">
      <strong>{events} quarantined</strong>: kept verbatim but not counted as failures, because their fields could not be read.{" "}
      {admin ? (
        <>
          <Link href="/settings/quarantine">Review them</Link>, map their fields under <Link href="/settings#field-mapping">Settings</Link>, then
          re-process.
        </>
      ) : (
        "An admin can review them, map their fields and re-process them."
      )}
    </div>
  );
}
