import { REASON_CLASS_LABELS, type ReasonClass } from "@/lib/reasons";

export function ReasonClassBadge({ reasonClass }: { reasonClass: ReasonClass | null }) {
  const key = reasonClass ?? "unknown";
  return (
    <span className="badge" style={{ background: `var(--${key})` }}>
      {reasonClass ? REASON_CLASS_LABELS[reasonClass] : "Unrecognised"}
    </span>
  );
}
