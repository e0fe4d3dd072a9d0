"use client";

import { useQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useHasRole } from "@/components/session-role";
import { CountAction, useCountOnDemand } from "@/components/count-on-demand";
import { RedeployLauncher } from "@/components/redeploy/redeploy-launcher";
import { fetchJson } from "@/lib/api-client";
import { FILTER_KEYS } from "@/lib/filters";
import { ExportButton } from "./export-button";

const LISTS = ["retry", "suppress"] as const;

/** Retry and suppression list downloads for the current filters, each with its count first. */
export function ContactListButtons({ queryString, tz }: { queryString: string; tz: string }) {
  const t = useTranslations("contactLists");
  const canExport = useHasRole("operator");
  if (!canExport) return null;
  return (
    <div className="mb-4 flex flex-wrap items-center gap-3" data-testid="contact-lists">
      {LISTS.map((list) => (
        <ContactList key={list} list={list} queryString={queryString} tz={tz} />
      ))}
      <RedeployLauncher source={{ filter: viewFilter(queryString) }} label={t("redeploy")} />
    </div>
  );
}

/** The view's filter parameters (the plan makes its own window from them, as the list does). */
function viewFilter(queryString: string): Record<string, string> {
  const params = new URLSearchParams(queryString);
  return Object.fromEntries(FILTER_KEYS.flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : [])));
}

function ContactList({ list, queryString, tz }: { list: (typeof LISTS)[number]; queryString: string; tz: string }) {
  const t = useTranslations("contactLists");
  const format = useFormatter();
  const href = `/api/contacts/export?list=${list}&${queryString}`;
  // Quick: a list no per-contact state answers (under a status) is not counted over many failures;
  // it is counted once on request instead.
  const count = useQuery({ queryKey: ["contact-list-count", list, queryString], queryFn: () => fetchJson<{ rows: number | null }>(`${href}&count=1&quick=1`) });
  const counted = useCountOnDemand<{ rows: number }>(["contact-list", list, queryString], `${href}&count=1`);
  const left = count.data?.rows === null;
  const rows = (left ? counted.data?.rows : count.data?.rows) ?? undefined;
  const shown = count.isPending ? "…" : count.isError ? "?" : rows === undefined ? "" : format.number(rows);
  const uncounted = left && rows === undefined;
  return (
    <span className="inline-flex flex-wrap items-center gap-2" title={left ? `${t(`${list}Why`)}. ${t("uncountedWhy")}` : t(`${list}Why`)} data-testid={`contact-list-${list}`}>
      <ExportButton href={href} label={uncounted ? t(`${list}Uncounted`) : t(list, { shown })} testId={`export-${list}`} expected={rows} />
      {left && <CountAction query={counted} tz={tz} title={t("uncountedWhy")} testId={`count-${list}`} />}
    </span>
  );
}
