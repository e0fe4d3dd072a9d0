"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { fetchJson } from "@/lib/api-client";
import type { LineLabelItem } from "@/lib/lines/labels";
import { formatPhone } from "@/lib/phone-format";
import { lineLabelsQueryKey } from "@/lib/query-keys";

const EMPTY: ReadonlyMap<string, string> = new Map();

/**
 * line → label for the whole page: one GET /api/lines (seeded by the server layout), shared by
 * every line on screen, refreshed after a rename.
 */
export function useLineLabels(): ReadonlyMap<string, string> {
  const query = useQuery({
    queryKey: lineLabelsQueryKey(),
    queryFn: () => fetchJson<{ items: LineLabelItem[] }>("/api/lines"),
    staleTime: 60_000,
    select: (data) => new Map(data.items.map((i) => [i.line, i.label])),
  });
  return query.data ?? EMPTY;
}

/**
 * A sending line as people know it: its label and its number formatted for humans
 * ("Ventas CO +57 310 456 7890"), or the formatted number alone. The stored value (E.164 or as
 * sent) is in the title and in every link and filter; `label` overrides the page's label map.
 */
export function LineName({ line, label }: { line: string | null; label?: string | null }) {
  const t = useTranslations("lineName");
  const labels = useLineLabels();
  if (!line) return <span className="text-muted-foreground">{t("unknown")}</span>;
  const name = label === undefined ? (labels.get(line) ?? null) : label;
  const number = formatPhone(line);
  if (!name) {
    return (
      <span className="whitespace-nowrap" title={line} data-line={line}>
        {number}
      </span>
    );
  }
  return (
    <span className="line-name" title={line} data-line={line}>
      <span className="font-semibold">{name}</span> <span className="whitespace-nowrap text-muted-foreground">{number}</span>
    </span>
  );
}

/** A contact's phone formatted for humans; the stored value in the title. */
export function PhoneNumber({ phone }: { phone: string }) {
  return (
    <span className="whitespace-nowrap" title={phone}>
      {formatPhone(phone)}
    </span>
  );
}
