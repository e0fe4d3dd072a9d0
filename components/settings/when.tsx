import { formatInTimeZone } from "@/lib/time/format";

/** An instant as wall-clock time in `tz`, with the exact instant on hover. */
export function When({ iso, tz }: { iso: string | null; tz: string }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatInTimeZone(Date.parse(iso), tz, "full")}
    </time>
  );
}
