"use client";

import { useQuery } from "@tanstack/react-query";
import { useHasRole } from "@/components/session-role";
import { RedeployLauncher } from "@/components/redeploy/redeploy-launcher";
import { fetchJson } from "@/lib/api-client";
import { FILTER_KEYS } from "@/lib/filters";
import { ExportButton } from "./export-button";

const LISTS = [
  { list: "retry", label: "Retry list", title: "Contacts whose latest failure here can be retried, and who never had a do-not-contact failure" },
  { list: "suppress", label: "Suppression list", title: "Contacts with a do-not-contact failure here (invalid, blocked, opted out, unreachable…)" },
] as const;

/** Retry and suppression list downloads for the current filters, each with its count first. */
export function ContactListButtons({ queryString }: { queryString: string }) {
  const canExport = useHasRole("operator");
  if (!canExport) return null;
  return (
    <div className="contact-lists" data-testid="contact-lists">
      {LISTS.map((l) => (
        <ContactList key={l.list} {...l} queryString={queryString} />
      ))}
      <RedeployLauncher source={{ filter: viewFilter(queryString) }} label="Re-deploy retry list…" />
    </div>
  );
}

/** The view's filter parameters (the plan makes its own window from them, as the list does). */
function viewFilter(queryString: string): Record<string, string> {
  const params = new URLSearchParams(queryString);
  return Object.fromEntries(FILTER_KEYS.flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : [])));
}

function ContactList({ list, label, title, queryString }: { list: string; label: string; title: string; queryString: string }) {
  const href = `/api/contacts/export?list=${list}&${queryString}`;
  const count = useQuery({ queryKey: ["contact-list-count", list, queryString], queryFn: () => fetchJson<{ rows: number }>(`${href}&count=1`) });
  const shown = count.isPending ? "…" : count.isError ? "?" : count.data.rows.toLocaleString("en-US");
  return (
    <span title={title} data-testid={`contact-list-${list}`}>
      <ExportButton href={href} label={`${label} (${shown} contacts)`} testId={`export-${list}`} expected={count.data?.rows} />
    </span>
  );
}
