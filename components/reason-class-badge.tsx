"use client";

import { useTranslations } from "next-intl";
import { Badge } from "@/components/ui/badge";
import type { ReasonClass } from "@/lib/reasons";

/** Tinted with the reason class's colour (readable in light and dark). */
export function ReasonClassBadge({ reasonClass }: { reasonClass: ReasonClass | null }) {
  const t = useTranslations("reasonClasses");
  const key = reasonClass ?? "unknown";
  return (
    <Badge variant="outline" className="border-current/40 font-semibold" style={{ color: `var(--${key})` }}>
      {t(reasonClass ?? "unrecognised")}
    </Badge>
  );
}
