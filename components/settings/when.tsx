"use client";

import { useFormatTime } from "@/components/use-format-time";

/** An instant as date and time in `tz` and the user's language, with the exact instant on hover. */
export function When({ iso, tz }: { iso: string | null; tz: string }) {
  const time = useFormatTime(tz);
  if (!iso) return <span className="text-muted-foreground">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {time.full(iso)}
    </time>
  );
}
